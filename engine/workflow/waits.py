"""What a workflow waits for, read from its task tree: timers, messages and deferred service tasks.

Only plain dataclasses leave this module; the engine materialises them as job and subscription rows.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.util.task import TaskState

from engine.workflow.servicetask import DeferredServiceTask


@dataclass(frozen=True)
class Wait:
    """A task of the workflow that waits for something outside it."""

    task_id: uuid.UUID
    element_id: str


@dataclass(frozen=True)
class WaitingTimer(Wait):
    due_at: datetime


@dataclass(frozen=True)
class WaitingMessage(Wait):
    name: str


@dataclass(frozen=True)
class PendingServiceCall(Wait):
    handler: str


@dataclass(frozen=True)
class Waits:
    timers: list[WaitingTimer]
    messages: list[WaitingMessage]
    service_calls: list[PendingServiceCall]


def element_id(task: Any) -> str:
    return str(task.task_spec.bpmn_id or task.task_spec.name)


def _timer_due(task: Any) -> datetime | None:
    value = task._get_internal_data("event_value")
    if isinstance(value, dict):  # cycle: {'cycles': n, 'next': iso, 'duration': s}
        return TimerEventDefinition.get_datetime(value["next"]) if value.get("cycles", 0) != 0 else None
    if isinstance(value, str):
        return TimerEventDefinition.get_datetime(value)
    return None


def collect_waits(workflow: BpmnWorkflow) -> Waits:
    timers: list[WaitingTimer] = []
    messages: list[WaitingMessage] = []
    for task in workflow.get_tasks(state=TaskState.WAITING):
        definition = getattr(task.task_spec, "event_definition", None)
        if isinstance(definition, TimerEventDefinition):
            due = _timer_due(task)
            if due is not None:
                timers.append(WaitingTimer(task.id, element_id(task), due))
        elif isinstance(definition, MessageEventDefinition):
            messages.append(WaitingMessage(task.id, element_id(task), definition.name))
    calls = [
        PendingServiceCall(task.id, element_id(task), task.task_spec.operation_name)
        for task in workflow.get_tasks(state=TaskState.STARTED)
        if isinstance(task.task_spec, DeferredServiceTask)
    ]
    return Waits(timers=timers, messages=messages, service_calls=calls)
