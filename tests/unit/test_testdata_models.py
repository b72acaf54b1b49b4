"""Every BPMN and DMN file of ../shared/testdata either deploys or is rejected with located problems."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.handlers import HandlerRegistry
from engine.workflow.parsing import ModelRejected, SourceFile, parse_models

TESTDATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "testdata"
FILES = sorted([*TESTDATA.glob("bpmn/*.bpmn"), *TESTDATA.glob("dmn/*.dmn")]) if TESTDATA.exists() else []

# File -> why akte rejects it when deployed alone (empty handler registry, nothing deployed before).
REJECTED = {
    "A.1.0.bpmn": "no executable process",
    "A.2.0.bpmn": "no executable process",
    "A.4.1.bpmn": "no executable process",
    "B.1.0.bpmn": "no executable process; data store; empty timer; service tasks without handler",
    "C.1.0.bpmn": "handler 'archiveService' (activiti:delegateExpression) not registered; field expressions",
    "C.3.0.bpmn": "condition 'Service Level == ...' is not Python; subprocess without start event",
    "InvalidDecision.bpmn": "decision 'InvalidDecisionId' not deployed",
    "business_rule_task.bpmn": "decision 'decision_1' not deployed (it is in business_rules.dmn)",
    "call_activity_nested.bpmn": "called processes Level2/Level2b and decision Level2c not deployed",
    "camunda-testing-job-announcement.bpmn": "method-call expressions (service task, assignees)",
    "data_object_invalid.bpmn": "XSD: data object reference id is not an xs:ID",
    "invoice.v2.bpmn": "taskListener (javascript), data store, unregistered class, missing ReviewInvoice",
    "loan-granting.bpmn": "javascript input parameter, cron timer cycle, unregistered external-task topics",
    "non-executable-process.bpmn": "no executable process",
    "parallel_multiinstance_invalid.bpmn": "multi-instance with both cardinality and input collection",
    "service_task.bpmn": "handlers 'bamboohr/GetPayRate', 'weather/CurrentTemp' not registered",
    "user_task_variable.bpmn": "form pizza_form.json not deployed",
    "diagram-interchange-decision-service.dmn": "no <decision> (decision service only)",
}
# Deployable files whose executable processes differ from expected.json's strict reading.
PROCESS_KEYS = {
    # isExecutable is absent: Spiff (and akte) treat the process as executable
    "Approvals.bpmn": ["Approvals", "First_Approval_Wins", "Parallel_Approvals_SP"],
}


def _expected_keys(path: Path) -> list[str]:
    if path.name in PROCESS_KEYS:
        return PROCESS_KEYS[path.name]
    expected = json.loads((TESTDATA / "expected.json").read_text())
    entry = expected.get(f"{path.parent.name}/{path.name}", {})
    return list(entry.get("executable_process_ids_in_xml", []))


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_testdata_file_deploys_or_is_rejected_with_located_problems(path: Path) -> None:
    source = SourceFile(path.name, path.read_bytes())
    if path.name not in REJECTED:
        result = parse_models([source], max_bytes=5_000_000, handlers=HandlerRegistry())
        assert sorted(p.key for p in result.processes) == sorted(_expected_keys(path))
        assert all(p.spec_json and len(p.sha256) == 64 for p in result.processes)
        return
    with pytest.raises(ModelRejected) as info:
        parse_models([source], max_bytes=5_000_000, handlers=HandlerRegistry())
    problems = info.value.problems
    assert problems
    for problem in problems:
        assert problem.file == path.name
        assert problem.element_id and problem.element_id != "-", str(problem)
        assert problem.line is not None and problem.line > 0, str(problem)
        assert problem.message and problem.severity == "error"
        assert "Traceback" not in problem.message


def test_every_testdata_file_is_covered() -> None:
    if not FILES:
        pytest.skip(f"test data not available at {TESTDATA}")
    names = {p.name for p in FILES}
    assert set(REJECTED) <= names


def test_deploys_with_its_decision_and_handlers() -> None:
    """Files rejected alone deploy once the decisions / handlers / forms they need are there."""
    if not FILES:
        pytest.skip(f"test data not available at {TESTDATA}")

    def src(rel: str) -> SourceFile:
        return SourceFile(Path(rel).name, (TESTDATA / rel).read_bytes())

    handlers = HandlerRegistry()
    for name in ("bamboohr/GetPayRate", "weather/CurrentTemp"):
        handlers.register(name, lambda data: None)
    for files in (
        [src("bpmn/business_rule_task.bpmn"), src("dmn/business_rules.dmn")],
        [src("bpmn/service_task.bpmn")],
        [src("bpmn/InvalidDecision.bpmn"), src("dmn/invalid_decision.dmn")],
        [src("bpmn/user_task_variable.bpmn"), SourceFile("pizza_form.json", b'{"type": "object"}')],
    ):
        assert parse_models(files, max_bytes=5_000_000, handlers=handlers).processes
