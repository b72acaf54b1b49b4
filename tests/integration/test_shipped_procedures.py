"""Every procedure in bpmn/ deploys cleanly (no warnings), as standard BPMN that Camunda Modeler and bpmn-js open:
valid against the OMG BPMN 2.0 / DMN 1.3 schemas, Camunda dialect only (no spiffworkflow: elements), complete
diagram interchange, a README, and file names unique across procedures (`akte deploy bpmn` uploads them all at
once, and one upload cannot hold two files of the same name)."""

from __future__ import annotations

import importlib.util
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
from lxml import etree

from core.bootstrap import Services
from tests.bpmn.driver import PROCEDURES, SUFFIXES, deploy_procedure, procedure_files, shipped_procedures

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
DRAWN = ("startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
         "userTask", "serviceTask", "scriptTask", "businessRuleTask", "receiveTask", "sendTask", "manualTask",
         "task", "exclusiveGateway", "parallelGateway", "eventBasedGateway", "inclusiveGateway", "subProcess",
         "callActivity", "lane", "participant")


@cache
def _schema(relative: str) -> etree.XMLSchema:
    """The OMG schemas (BPMN 2.0 with DI, DMN 1.3) as shipped inside the SpiffWorkflow package."""
    spec = importlib.util.find_spec("SpiffWorkflow")
    assert spec is not None and spec.submodule_search_locations
    return etree.XMLSchema(etree.parse(str(Path(spec.submodule_search_locations[0]) / relative)))


@pytest.mark.parametrize("name", shipped_procedures())
def test_models_and_decisions_are_valid_against_the_omg_schemas(name: str) -> None:
    for source in procedure_files(name):
        if source.name.endswith((".bpmn", ".dmn")):
            schema = _schema("bpmn/parser/schema/BPMN20.xsd" if source.name.endswith(".bpmn")
                             else "dmn/parser/schema/DMN13.xsd")
            assert schema.validate(etree.fromstring(source.content)), (source.name, str(schema.error_log))


def test_file_names_are_unique_across_procedures() -> None:
    names = Counter(path.name for path in PROCEDURES.rglob("*") if path.name.lower().endswith(SUFFIXES))
    assert [name for name, count in names.items() if count > 1] == []


@pytest.mark.parametrize("name", shipped_procedures())
def test_model_is_standard_bpmn_with_complete_diagram(name: str) -> None:
    assert (PROCEDURES / name / "README.md").is_file()
    for source in procedure_files(name):
        if not source.name.endswith(".bpmn"):
            continue
        root = etree.fromstring(source.content)
        assert SPIFF not in {el.nsmap.get(prefix) for el in root.iter() for prefix in el.nsmap}, source.name
        shapes = {el.get("bpmnElement") for el in root.iter(f"{{{BPMNDI}}}BPMNShape")}
        edges = {el.get("bpmnElement"): el for el in root.iter(f"{{{BPMNDI}}}BPMNEdge")}
        drawn = {el.get("id") for local in DRAWN for el in root.iter(f"{{{BPMN}}}{local}")}
        flows = {el.get("id") for el in root.iter(f"{{{BPMN}}}sequenceFlow")}
        assert drawn - shapes == set(), f"{source.name}: elements without a shape"
        assert flows - set(edges) == set(), f"{source.name}: flows without an edge"
        assert all(len(edge.findall("{*}waypoint")) >= 2 for edge in edges.values())


@pytest.mark.parametrize("name", shipped_procedures())
def test_procedure_deploys_without_warnings(services: Services, name: str) -> None:
    result = deploy_procedure(services, name)
    assert result.processes and all(process.new_version for process in result.processes)
    assert [str(warning) for warning in result.warnings] == []
