"""(De)serialization of SpiffWorkflow specs and instance state.

The process spec is stored once per deployed version (`spec bundle`); an instance row stores only its
task tree and data. `SERIALIZER_VERSION` is saved beside every state so that an upgrade of SpiffWorkflow
(whose serializer stores task data as diffs) can be detected and migrated.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from engine.workflow.servicetask import SERIALIZER_CONFIG

SERIALIZER_VERSION = "spiffworkflow-3.2.0/1.5/akte-2"

SpecBundle = tuple[BpmnProcessSpec, dict[str, BpmnProcessSpec]]


class _StateOnlyWorkflowConverter(BpmnWorkflowConverter):
    """Like Spiff's converter, but leaves the specs out: they live with the deployed version."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(
        self, dct: dict[str, Any], spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec]
    ) -> BpmnWorkflow:
        from uuid import UUID

        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _build_serializers() -> tuple[BpmnWorkflowSerializer, BpmnWorkflowSerializer]:
    spec_config = {**SPIFF_CONFIG, **SERIALIZER_CONFIG}
    spec_serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(spec_config))
    state_config = dict(spec_config)
    state_config[BpmnWorkflow] = _StateOnlyWorkflowConverter
    state_serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(state_config))
    return spec_serializer, state_serializer


_SPEC_SERIALIZER, _STATE_SERIALIZER = _build_serializers()


def spec_bundle_to_json(spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec]) -> str:
    """Serialize a process spec with every subprocess/called spec it needs."""
    return json.dumps(
        {
            "spec": _SPEC_SERIALIZER.to_dict(spec),
            "subprocess_specs": {name: _SPEC_SERIALIZER.to_dict(s) for name, s in subprocess_specs.items()},
        },
        separators=(",", ":"),
    )


def spec_bundle_from_json(text: str) -> SpecBundle:
    dct = json.loads(text)
    spec = _SPEC_SERIALIZER.from_dict(dct["spec"])
    subs = {name: _SPEC_SERIALIZER.from_dict(s) for name, s in dct["subprocess_specs"].items()}
    return spec, subs


def state_to_json(workflow: BpmnWorkflow) -> str:
    """Serialize an instance's task tree and data (without specs)."""
    registry = _STATE_SERIALIZER.registry
    registry._encoder_mode = True
    try:
        dct = _STATE_SERIALIZER.to_dict(workflow)
        return json.dumps(dct, separators=(",", ":"), cls=_STATE_SERIALIZER._encoder_cls)
    finally:
        registry._encoder_mode = False


def state_from_json(text: str, bundle: SpecBundle, script_engine: PythonScriptEngine) -> BpmnWorkflow:
    """Restore an instance from its state and its version's spec bundle and attach the sandboxed engine."""
    spec, subs = bundle
    dct = json.loads(text)
    workflow: BpmnWorkflow = _STATE_SERIALIZER.from_dict(copy.copy(dct), spec=spec, subprocess_specs=subs)
    workflow.script_engine = script_engine
    return workflow
