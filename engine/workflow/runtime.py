"""The SpiffWorkflow adapter: start, load, advance and snapshot workflows.

Only plain dataclasses leave this module (`Snapshot`, `ReadyUserTask`, `Failure`); `LiveWorkflow` is an
opaque handle the services pass back in. Deserialized workflows are kept in a small per-process cache
keyed by instance id and row version, so a workflow that is already in memory at the version in the
database is not deserialized again. A cached workflow is *taken out* while in use, so two threads never
share one object; it goes back only after its transaction committed.
"""

from __future__ import annotations

import json
import threading
import traceback
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.util.task import TaskState

from core.errors import Conflict, NotFound
from engine.workflow import clocked
from engine.workflow.sandbox import make_script_engine
from engine.workflow.serializer import (
    SERIALIZER_VERSION,
    SpecBundle,
    spec_bundle_from_json,
    state_from_json,
    state_to_json,
)
from engine.workflow.servicetask import DeferredServiceTask
from engine.workflow.waits import Waits, collect_waits, element_id

__all__ = ["SERIALIZER_VERSION", "Failure", "LiveWorkflow", "ReadyUserTask", "Snapshot", "SpiffRuntime", "Waits"]


@dataclass(frozen=True)
class ReadyUserTask:
    task_id: uuid.UUID
    element_id: str
    name: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Failure:
    element_id: str
    message: str
    details: str
    task_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Snapshot:
    state_json: str
    completed: bool
    data: dict[str, Any]
    ready_user_tasks: list[ReadyUserTask]
    failure: Failure | None
    waits: Waits


class LiveWorkflow:
    """Opaque handle on a running workflow; only this module looks inside."""

    __slots__ = ("_workflow", "committed_waits")

    def __init__(self, workflow: BpmnWorkflow, committed_waits: Waits | None = None) -> None:
        self._workflow = workflow
        self.committed_waits = committed_waits  # what it waited for at its last commit, if known


def json_safe(value: Any) -> Any:
    """Task data as plain JSON types (dates become ISO strings) for rows and API answers."""
    return json.loads(json.dumps(value, default=_json_default))


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


class _WorkflowCache:
    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[uuid.UUID, tuple[int, LiveWorkflow]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, instance_id: uuid.UUID, version: int) -> LiveWorkflow | None:
        with self._lock:
            item = self._items.pop(instance_id, None)
        if item is None or item[0] != version:
            return None
        return item[1]

    def put(self, instance_id: uuid.UUID, version: int, workflow: LiveWorkflow) -> None:
        if self._size <= 0:
            return
        with self._lock:
            self._items[instance_id] = (version, workflow)
            self._items.move_to_end(instance_id)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def forget(self, instance_id: uuid.UUID) -> None:
        with self._lock:
            self._items.pop(instance_id, None)


class SpiffRuntime:
    """Runs workflows with the sandboxed script engine."""

    def __init__(self, script_timeout_seconds: float = 2.0, cache_size: int = 256) -> None:
        self._script_engine = make_script_engine(script_timeout_seconds)
        self._bundles: dict[int, SpecBundle] = {}
        self._bundle_lock = threading.Lock()
        self._cache = _WorkflowCache(cache_size)

    def _bundle(self, definition_id: int, spec_json: Callable[[], str]) -> SpecBundle:
        """The parsed spec of a deployed version; `spec_json` is only called the first time."""
        bundle = self._bundles.get(definition_id)
        if bundle is None:
            bundle = spec_bundle_from_json(spec_json())
            with self._bundle_lock:
                self._bundles[definition_id] = bundle
        return bundle

    def start(
        self, definition_id: int, spec_json: Callable[[], str], data: dict[str, Any], now: datetime,
        fired_start_event: str | None = None,
    ) -> tuple[LiveWorkflow, Snapshot]:
        """Start an instance; `fired_start_event` names a timer start event whose timer has just fired."""
        spec, subprocess_specs = self._bundle(definition_id, spec_json)
        workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=self._script_engine)
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(data)
        if fired_start_event is not None:
            _fire_start_event(workflow, fired_start_event)
        live = LiveWorkflow(workflow, Waits([], [], []))
        with clocked.at(now):
            failure = self._advance(workflow)
        return live, self._snapshot(workflow, failure)

    def load(
        self, instance_id: uuid.UUID, version: int, definition_id: int, spec_json: Callable[[], str], state_json: str
    ) -> LiveWorkflow:
        cached = self._cache.take(instance_id, version)
        if cached is None:
            workflow = state_from_json(state_json, self._bundle(definition_id, spec_json), self._script_engine)
            return LiveWorkflow(workflow)
        return cached

    def remember(self, instance_id: uuid.UUID, version: int, live: LiveWorkflow, waits: Waits) -> None:
        """Keep a workflow whose state (waiting for `waits`) was committed at `version` for the next request."""
        self._cache.put(instance_id, version, LiveWorkflow(live._workflow, waits))

    def forget(self, instance_id: uuid.UUID) -> None:
        self._cache.forget(instance_id)

    def evaluate(self, expression: str, data: dict[str, Any]) -> Any:
        """Evaluate an expression over process data in the sandbox (task metadata such as assignees)."""
        return self._script_engine.environment.evaluate(expression, dict(data))

    def complete_user_task(
        self, live: LiveWorkflow, task_id: uuid.UUID, data: dict[str, Any], now: datetime
    ) -> Snapshot:
        """Complete a READY user/manual task with `data` and run until the workflow waits again."""
        workflow = live._workflow
        task = _task(workflow, task_id)
        if not task.task_spec.manual:
            raise Conflict(f"task {task_id} is not a user task")
        _require_state(task, TaskState.READY)
        task.data.update(data)
        with clocked.at(now):
            failure = self._run(workflow, task)
            if failure is None:
                failure = self._advance(workflow)
        return self._snapshot(workflow, failure)

    def fire_timers(self, live: LiveWorkflow, now: datetime) -> Snapshot:
        """Let every timer due at or before `now` fire and run until the workflow waits again."""
        workflow = live._workflow
        with clocked.at(now + timedelta(microseconds=1)):  # Spiff fires only once the moment has passed
            try:
                workflow.refresh_timers()
            except Exception as exc:
                return self._snapshot(workflow, _failure("-", exc))
            failure = self._advance(workflow)
        return self._snapshot(workflow, failure)

    def service_call(self, live: LiveWorkflow, task_id: uuid.UUID) -> tuple[str, dict[str, Any]]:
        """The handler name and evaluated input parameters of a waiting service task."""
        task = _task(live._workflow, task_id)
        if not isinstance(task.task_spec, DeferredServiceTask):
            raise Conflict(f"task {task_id} is not a service task")
        _require_state(task, TaskState.STARTED)
        params = {name: param["value"] for name, param in task.task_spec.evaluate_params(task).items()}
        return str(task.task_spec.operation_name), json_safe(params)

    def complete_service_task(
        self, live: LiveWorkflow, task_id: uuid.UUID, result: dict[str, Any] | None, now: datetime
    ) -> Snapshot:
        """Store a handler's result (in the model's result variable, else merged) and complete the task."""
        workflow = live._workflow
        task = _task(workflow, task_id)
        _require_state(task, TaskState.STARTED)
        variable = str(task.task_spec.result_variable)
        if variable.startswith("spiff__"):  # the model named no result variable
            task.data.update(result or {})
        else:
            task.data[variable] = result
        with clocked.at(now):
            task.complete()
            failure = self._advance(workflow)
        return self._snapshot(workflow, failure)

    def throw_error(
        self, live: LiveWorkflow, task_id: uuid.UUID, code: str, message: str, now: datetime
    ) -> Snapshot | None:
        """Deliver BPMN error `code` to an error boundary event on the task; None if none catches it."""
        workflow = live._workflow
        task = _task(workflow, task_id)
        for boundary in workflow.get_tasks(state=TaskState.WAITING):
            definition = getattr(boundary.task_spec, "event_definition", None)
            if (
                boundary.parent is task.parent
                and isinstance(definition, ErrorEventDefinition)
                and definition.code in (None, "", code)
            ):
                boundary.data.update({"error_code": code, "error_message": message})
                with clocked.at(now):
                    boundary.task_spec.catch(boundary, BpmnEvent(definition, {"error_code": code}))
                    boundary.task_spec._update(boundary)
                    failure = self._advance(workflow)
                return self._snapshot(workflow, failure)
        return None

    def deliver_message(
        self, live: LiveWorkflow, task_id: uuid.UUID, payload: dict[str, Any], now: datetime
    ) -> Snapshot:
        """Deliver a message to the waiting catch event/receive task `task_id` (payload becomes task data)."""
        workflow = live._workflow
        task = _task(workflow, task_id)
        _require_state(task, TaskState.WAITING)
        definition = task.task_spec.event_definition
        task.data.update(payload)
        with clocked.at(now):
            task.task_spec.catch(task, BpmnEvent(definition, dict(payload)))
            task.task_spec._update(task)
            failure = self._advance(workflow)
        return self._snapshot(workflow, failure)

    def retry_failed_tasks(self, live: LiveWorkflow, now: datetime) -> Snapshot:
        """Make every task that failed (ERROR) ready again and run until the workflow waits."""
        workflow = live._workflow
        for task in workflow.get_tasks(state=TaskState.ERROR):
            task._set_state(TaskState.READY)
        with clocked.at(now):
            failure = self._advance(workflow)
        return self._snapshot(workflow, failure)

    def cancel(self, live: LiveWorkflow) -> Snapshot:
        """Cancel every unfinished task of the workflow."""
        workflow = live._workflow
        workflow.cancel()
        return self._snapshot(workflow, None)

    def _run(self, workflow: BpmnWorkflow, task: Any) -> Failure | None:
        try:
            task.run()
        except Exception as exc:
            return _failure(task.task_spec.bpmn_id or task.task_spec.name, exc, task.id)
        return None

    def _advance(self, workflow: BpmnWorkflow) -> Failure | None:
        try:
            workflow.do_engine_steps()
        except Exception as exc:
            task = getattr(exc, "task", None)
            element = task.task_spec.bpmn_id if task is not None else "-"
            return _failure(element or "-", exc, task.id if task is not None else None)
        return None

    def _snapshot(self, workflow: BpmnWorkflow, failure: Failure | None) -> Snapshot:
        ready = [
            ReadyUserTask(
                task_id=task.id,
                element_id=task.task_spec.bpmn_id or task.task_spec.name,
                name=task.task_spec.bpmn_name or task.task_spec.bpmn_id or task.task_spec.name,
                data=task.data,
            )
            for task in workflow.get_tasks(state=TaskState.READY, manual=True)
        ]
        completed = bool(workflow.completed)
        last = workflow.last_task
        data = workflow.data if completed or last is None else last.data
        return Snapshot(
            state_json=state_to_json(workflow),
            completed=completed,
            data=json_safe(data),
            ready_user_tasks=ready,
            failure=failure,
            waits=collect_waits(workflow) if not completed else Waits([], [], []),
        )


def _fire_start_event(workflow: BpmnWorkflow, element: str) -> None:
    """Mark a timer start event as fired, so the new instance runs past it at once. Spiff predicts no path
    behind a cycle timer (it adds one per occurrence); akte starts one instance per occurrence instead."""
    for task in workflow.get_tasks():
        if task.task_spec.bpmn_id != element:
            continue
        task._set_internal_data(event_fired=True)
        if isinstance(task.task_spec.event_definition, CycleTimerEventDefinition) and not task.children:
            for output in task.task_spec.outputs:
                child = task._add_child(output, TaskState.FUTURE)
                child.task_spec._predict(child, mask=TaskState.NOT_FINISHED_MASK)


def _task(workflow: BpmnWorkflow, task_id: uuid.UUID) -> Any:
    try:
        return workflow.get_task_from_id(task_id)
    except TaskNotFoundException:
        raise NotFound(f"task {task_id} is not part of this instance") from None


def _require_state(task: Any, state: int) -> None:
    if task.state != state:
        raise Conflict(f"task {task.id} ({element_id(task)}) is not waiting (state {TaskState.get_name(task.state)})")


def _failure(element_id: str, exc: Exception, task_id: uuid.UUID | None = None) -> Failure:
    cause = exc.__cause__ or getattr(exc, "exception", None) or exc
    message = str(getattr(exc, "error_msg", None) or exc) or type(cause).__name__
    details = "".join(traceback.format_exception(type(cause), cause, cause.__traceback__, limit=-3))
    return Failure(element_id=element_id, message=message[:2000], details=details[-4000:], task_id=task_id)
