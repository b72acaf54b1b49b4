"""Re-binding a running instance's SpiffWorkflow state to another version of its process (instance migration).

`ModelPair` holds the specs of two deployed versions, parsed once for many instances. `rebind` loads an
instance's state with the old spec and checks every active task (READY, WAITING, STARTED) against the new
one: the element must exist there (under its own id or the one the mapping gives), keep its type and event
(timer kind, message name), a boundary event must stay attached to its activity, and a task inside a
subprocess or call activity needs that subprocess unchanged. If all holds, the task tree is rewritten:
predicted successors of the active tasks are dropped and predicted again from the new spec, completed tasks
whose element is gone are spliced out of the tree (their data lives on in their children), every other task
is pointed at its new spec, and the result is serialized and verified by loading it with the new spec.

Task ids, task data and internal data (a timer's due moment) are kept, so human-task, job and subscription
rows stay attached to the same tasks. Only plain dataclasses leave this module.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.util.task import TaskState

from engine.workflow.runtime import ReadyUserTask, json_safe
from engine.workflow.serializer import spec_bundle_from_json, state_from_json, state_to_json
from engine.workflow.waits import Waits, collect_waits

ACTIVE_MASK = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
WAITING_MASK = TaskState.READY | TaskState.WAITING | TaskState.STARTED
UPCOMING_MASK = TaskState.FUTURE | TaskState.PREDICTED_MASK
DERIVED_SUFFIXES = (".BoundaryEventSplit", ".BoundaryEventJoin", ".EndJoin")


class RebindFailed(Exception):
    """The rewritten state did not verify; the instance cannot move."""


@dataclass(frozen=True)
class Element:
    """A BPMN element of a process version."""

    element_id: str
    name: str
    kind: str  # the SpiffWorkflow spec type, e.g. UserTask, IntermediateCatchEvent


@dataclass(frozen=True)
class Reason:
    """Why an instance cannot move. `code`: missing | missing_event | type_changed | event_changed | detached |
    subprocess_changed | failed | not_rebound; `other` is the second thing the code speaks of (the new type,
    the attached activity, the subprocess, a suggested target, an error text)."""

    code: str
    element: str
    other: str | None = None


@dataclass(frozen=True)
class ActiveTask:
    """A task of the instance that is waiting now, and where it goes in the new version (None: nowhere)."""

    task_id: uuid.UUID
    element_id: str
    name: str
    kind: str
    state: str
    target: str | None
    inside: str | None = None  # the subprocess (spec name) it runs in, if any


@dataclass(frozen=True)
class Rebound:
    """The instance's state re-bound to the new version, verified, with what it now waits for."""

    state_json: str
    ready_user_tasks: list[ReadyUserTask]
    waits: Waits


@dataclass(frozen=True)
class RebindOutcome:
    active: list[ActiveTask]
    reasons: list[Reason] = field(default_factory=list)
    rebound: Rebound | None = None


class _NoScripts(BasePythonScriptEngineEnvironment):
    """Re-binding never runs scripts or conditions; if Spiff ever tried, it must fail rather than run them."""

    def evaluate(self, expression: str, context: Any, external_context: Any = None) -> Any:
        raise RebindFailed("an expression would be evaluated while re-binding")

    def execute(self, script: str, context: Any, external_context: Any = None) -> Any:
        raise RebindFailed("a script would run while re-binding")


_ENGINE = PythonScriptEngine(environment=_NoScripts())


def _elements(spec: BpmnProcessSpec) -> dict[str, Element]:
    return {
        str(ts.bpmn_id): Element(str(ts.bpmn_id), " ".join(str(ts.bpmn_name or "").split()), type(ts).__name__)
        for ts in spec.task_specs.values() if ts.bpmn_id
    }


def _event_signature(spec: Any) -> tuple[str, str] | None:
    definition = getattr(spec, "event_definition", None)
    if definition is None:
        return None
    return type(definition).__name__, str(getattr(definition, "name", "") or "")


def _display_id(spec: Any) -> str:
    return str(spec.bpmn_id or spec.name)


class ModelPair:
    """Two versions of one process: what changed between them and how to move instances across."""

    def __init__(self, old_spec_json: str, new_spec_json: str) -> None:
        self._old = spec_bundle_from_json(old_spec_json)
        self._new = spec_bundle_from_json(new_spec_json)
        self._old_sub_dicts: dict[str, Any] = json.loads(old_spec_json)["subprocess_specs"]
        self._new_sub_dicts: dict[str, Any] = json.loads(new_spec_json)["subprocess_specs"]
        self.old_elements = _elements(self._old[0])
        self.new_elements = _elements(self._new[0])
        self._suggestions = self._suggest()

    def suggest_mapping(self) -> dict[str, str]:
        """Renamed elements: an old element missing from the new version whose name and type match exactly one
        new element, which no other old element matches as well."""
        return dict(self._suggestions)

    def _suggest(self) -> dict[str, str]:
        removed = [e for key, e in self.old_elements.items() if key not in self.new_elements and e.name]
        added = [e for key, e in self.new_elements.items() if key not in self.old_elements and e.name]
        matches = {old.element_id: [new for new in added if (new.name, new.kind) == (old.name, old.kind)]
                   for old in removed}
        claimed: dict[str, int] = {}
        for found in matches.values():
            for new in found:
                claimed[new.element_id] = claimed.get(new.element_id, 0) + 1
        return {old: found[0].element_id for old, found in sorted(matches.items())
                if len(found) == 1 and claimed[found[0].element_id] == 1}

    def _new_name(self, old_name: str, mapping: dict[str, str]) -> str | None:
        """The spec name in the new version that takes over `old_name` (derived specs follow their element)."""
        name = mapping.get(old_name, old_name)
        for suffix in DERIVED_SUFFIXES:
            if old_name not in mapping and old_name.endswith(suffix):
                base = old_name[: -len(suffix)]
                name = mapping.get(base, base) + suffix
        return name if name in self._new[0].task_specs else None

    def rebind(self, state_json: str, mapping: dict[str, str]) -> RebindOutcome:
        """Check the instance against the new version and, if it can move, rewrite and verify its state."""
        try:
            workflow = state_from_json(state_json, self._old, _ENGINE)
        except Exception as exc:  # a state this version cannot read (e.g. of an older serializer)
            return RebindOutcome([], [Reason("not_rebound", "-", f"{type(exc).__name__}: {exc}")])
        active, reasons = self._check(workflow, mapping)
        if reasons:
            return RebindOutcome(active, reasons)
        try:
            expected = {task.task_id: task for task in active}
            rewritten = self._rewrite(workflow, mapping)
            rebound = self._verify(rewritten, expected)
        except Exception as exc:  # whatever breaks, the instance stays where it is, with the reason shown
            return RebindOutcome(active, [Reason("not_rebound", "-", f"{type(exc).__name__}: {exc}")])
        return RebindOutcome(active, [], rebound)

    # --- checks -------------------------------------------------------------------------------------------

    def _check(self, workflow: BpmnWorkflow, mapping: dict[str, str]) -> tuple[list[ActiveTask], list[Reason]]:
        active: list[ActiveTask] = []
        reasons: list[Reason] = []
        suggestions = self._suggestions
        for task in workflow.tasks.values():
            if not task.has_state(ACTIVE_MASK):
                continue
            spec = task.task_spec
            target_name = self._new_name(spec.name, mapping)
            target = self._new[0].task_specs[target_name] if target_name else None
            active.append(ActiveTask(task.id, _display_id(spec), str(spec.bpmn_name or ""), type(spec).__name__,
                                     TaskState.get_name(task.state), _display_id(target) if target else None))
            reasons.extend(self._task_reasons(task, target, mapping, suggestions))
        inner: list[Reason] = []
        for sub in workflow.subprocesses.values():
            name = sub.spec.name
            changed = self._old_sub_dicts.get(name) != self._new_sub_dicts.get(name)
            for task in sub.tasks.values():
                if task.has_state(ACTIVE_MASK):
                    spec = task.task_spec
                    active.append(ActiveTask(task.id, _display_id(spec), str(spec.bpmn_name or ""),
                                             type(spec).__name__, TaskState.get_name(task.state),
                                             None if changed else _display_id(spec), inside=name))
                    if changed:
                        inner.append(Reason("subprocess_changed", _display_id(spec), name))
                    elif task.state == TaskState.ERROR:
                        inner.append(Reason("failed", _display_id(spec)))
        # a task inside a changed subprocess says it better than the subprocess activity itself
        told = {r.other for r in inner if r.code == "subprocess_changed"}
        reasons = [r for r in reasons if not (r.code == "subprocess_changed" and r.other in told)]
        return active, reasons + inner

    def _task_reasons(self, task: Any, target: Any, mapping: dict[str, str],
                      suggestions: dict[str, str]) -> list[Reason]:
        spec = task.task_spec
        element = _display_id(spec)
        if task.state == TaskState.ERROR:
            return [Reason("failed", element)]
        if target is None:
            hint = suggestions.get(element) if element not in mapping else None
            code = "missing_event" if _event_signature(spec) is not None else "missing"
            return [Reason(code, element, hint)]
        if type(spec).__name__ != type(target).__name__:
            return [Reason("type_changed", element, type(target).__name__)]
        if _event_signature(spec) != _event_signature(target):
            return [Reason("event_changed", element)]
        parent = task.parent
        if parent is not None and type(parent.task_spec).__name__ == "BoundaryEventSplit":
            split_name = self._new_name(parent.task_spec.name, mapping)
            split = self._new[0].task_specs.get(split_name) if split_name else None
            if split is None or target not in split.outputs:
                activity = parent.task_spec.name[: -len(".BoundaryEventSplit")]
                return [Reason("detached", element, activity)]
        if isinstance(spec, SubWorkflowTask):
            sub_name = str(spec.spec)
            if str(target.spec) != sub_name or self._old_sub_dicts.get(sub_name) != self._new_sub_dicts.get(sub_name):
                return [Reason("subprocess_changed", element, sub_name)]
        return []

    # --- rewrite ------------------------------------------------------------------------------------------

    def _rewrite(self, workflow: BpmnWorkflow, mapping: dict[str, str]) -> str:
        new_spec, new_subs = self._new
        active = [task for task in workflow.tasks.values() if task.has_state(WAITING_MASK)]
        for task in active:  # predicted successors go; the new version predicts its own
            for child in list(task.children):
                if child.has_state(UPCOMING_MASK) and not child.triggered and child.task_spec in task.task_spec.outputs:
                    workflow._remove_task(child.id)
        for task in list(workflow.tasks.values()):
            if task.has_state(TaskState.FINISHED_MASK) and self._new_name(task.task_spec.name, mapping) is None:
                _splice(workflow, task)
        for task in workflow.tasks.values():
            new_name = self._new_name(task.task_spec.name, mapping)
            if new_name is None:
                raise RebindFailed(f"pending element {_display_id(task.task_spec)} does not exist in the new version")
            task.task_spec = new_spec.task_specs[new_name]
        workflow.spec = new_spec
        workflow.subprocess_specs = new_subs
        for task in active:
            task.task_spec._predict_hook(task)
            for child in task.children:
                if child.has_state(UPCOMING_MASK):
                    child.task_spec._predict(child, mask=UPCOMING_MASK)
        if workflow.last_task is not None and workflow.last_task.id not in workflow.tasks:
            workflow.last_task = None
        return state_to_json(workflow)

    def _verify(self, state_json: str, expected: dict[uuid.UUID, ActiveTask]) -> Rebound:
        """Load the rewritten state with the new spec: every task has its spec and the same tasks wait."""
        workflow = state_from_json(state_json, self._new, _ENGINE)
        waiting: dict[uuid.UUID, tuple[str, str]] = {}
        for task in workflow.get_tasks():
            if task.task_spec is None:
                raise RebindFailed(f"task {task.id} has no element in the new version")
            if task.has_state(ACTIVE_MASK):
                waiting[task.id] = (_display_id(task.task_spec), TaskState.get_name(task.state))
        wanted = {task_id: (str(task.target), task.state) for task_id, task in expected.items()}
        if waiting != wanted:
            raise RebindFailed(f"the re-bound instance waits at {sorted(waiting.values())}, "
                               f"expected {sorted(wanted.values())}")
        ready = [
            ReadyUserTask(task_id=task.id, element_id=_display_id(task.task_spec),
                          name=str(task.task_spec.bpmn_name or _display_id(task.task_spec)), data=json_safe(task.data))
            for task in workflow.get_tasks(state=TaskState.READY, manual=True)
        ]
        return Rebound(state_json=state_json, ready_user_tasks=ready, waits=collect_waits(workflow))


def _splice(workflow: BpmnWorkflow, task: Any) -> None:
    """Take a finished task out of the tree, its children taking its place under its parent."""
    parent = task.parent
    if parent is None:
        raise RebindFailed(f"the root task {task.task_spec.name} does not exist in the new version")
    position = parent._children.index(task.id)
    parent._children[position:position + 1] = list(task._children)
    for child in task.children:
        child._parent = parent.id
    task._children = []
    del workflow.tasks[task.id]
