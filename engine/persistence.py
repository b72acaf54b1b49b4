"""Writes a workflow snapshot back: instance row, human-task, job and subscription rows, incidents, history."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.outbox import INDEX_TOPIC, OutboxEvent
from engine import taskindex, taskmeta
from engine.models import (
    HumanTask,
    Incident,
    InstanceEvent,
    Job,
    MessageSubscription,
    ProcessDefinition,
    ProcessInstance,
)
from engine.taskindex import CaseColumns
from engine.taskmeta import Evaluator
from engine.workflow.runtime import ReadyUserTask, Snapshot, Waits

DEFAULT_MAX_ATTEMPTS = 3


def record_event(
    session: Session, instance_id: uuid.UUID, kind: str, now: datetime, *, element_id: str | None = None,
    task_id: uuid.UUID | None = None, actor: str | None = None, payload: dict[str, Any] | None = None,
) -> None:
    session.add(InstanceEvent(instance_id=instance_id, kind=kind, element_id=element_id, task_id=task_id,
                              actor=actor, payload=payload or {}, created_at=now))


def _new_task(
    instance: ProcessInstance, definition: ProcessDefinition, ready: ReadyUserTask, now: datetime,
    evaluate: Evaluator, case: CaseColumns,
) -> HumanTask:
    meta: dict[str, Any] = definition.user_tasks.get(ready.element_id, {})
    data = ready.data
    row = HumanTask(
        id=ready.task_id, instance_id=instance.id, definition_id=definition.id, process_key=definition.key,
        element_id=ready.element_id, name=meta.get("name") or ready.name, status="open",
        assignee=taskmeta.resolve_assignee(meta.get("assignee"), data, evaluate),
        candidate_groups=taskmeta.resolve_groups(meta.get("candidate_groups"), data, evaluate),
        due_at=taskmeta.resolve_moment(meta.get("due_date"), data, now, evaluate),
        follow_up_at=taskmeta.resolve_moment(meta.get("follow_up_date"), data, now, evaluate),
        priority=taskmeta.resolve_priority(meta.get("priority"), data, evaluate),
        form_key=meta.get("form_key"), form_schema=meta.get("form_schema"), created_at=now,
    )
    case.apply_to(row)
    return row


def _sync_human_tasks(
    session: Session, instance: ProcessInstance, definition: ProcessDefinition, snapshot: Snapshot, now: datetime,
    evaluate: Evaluator,
) -> None:
    """Open rows for new ready user tasks, cancel rows whose task is gone, and keep the case columns and
    inbox entries of the remaining open rows current with the instance's data."""
    open_rows = {
        row.id: row
        for row in session.scalars(
            select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.status == "open")
        )
    }
    case = CaseColumns.of(instance.business_key, definition.name, definition.search_fields or [], snapshot.data)
    ready_ids, created = set(), []
    for ready in snapshot.ready_user_tasks:
        ready_ids.add(ready.task_id)
        existing = open_rows.get(ready.task_id)
        if existing is None:
            row = _new_task(instance, definition, ready, now, evaluate, case)
            session.add(row)
            created.append(row)
            record_event(session, instance.id, "task_created", now, element_id=row.element_id, task_id=row.id,
                         payload={"assignee": row.assignee, "candidate_groups": row.candidate_groups})
        elif case.differs_from(existing):
            case.apply_to(existing)
            taskindex.rewrite_entries(session, existing)
    taskindex.write_entries(session, created)
    closed = []
    for task_id, row in open_rows.items():
        if task_id not in ready_ids:
            row.status = "cancelled"
            row.completed_at = now
            closed.append(task_id)
            record_event(session, instance.id, "task_cancelled", now, element_id=row.element_id, task_id=task_id)
    taskindex.drop_closed(session, closed)


def apply_snapshot(
    session: Session, instance: ProcessInstance, definition: ProcessDefinition, snapshot: Snapshot,
    now: datetime, actor: str | None, evaluate: Evaluator, previous: Waits | None = None,
) -> None:
    """Store `snapshot` on `instance` and materialise its consequences (tasks, jobs, incident, end).

    `previous` is what the instance waited for at its last commit, when known: job and subscription rows
    are then only read when there was or is something to wait for.
    """
    instance.state = snapshot.state_json
    fields = definition.search_fields or []
    if any((instance.data or {}).get(name) != snapshot.data.get(name) for name in fields):
        announce_change(session, instance, now)
    instance.data = snapshot.data
    instance.updated_at = now
    _sync_human_tasks(session, instance, definition, snapshot, now, evaluate)
    waits = snapshot.waits
    if previous is None or previous.timers or previous.service_calls or waits.timers or waits.service_calls:
        _sync_jobs(session, instance, snapshot, now)
    if previous is None or previous.messages or waits.messages:
        _sync_subscriptions(session, instance, snapshot, now)
    if snapshot.failure is not None:
        failure = snapshot.failure
        session.add(Incident(instance_id=instance.id, element_id=failure.element_id, message=failure.message,
                             details=failure.details, task_id=failure.task_id, created_at=now))
        record_event(session, instance.id, "incident_opened", now, element_id=failure.element_id,
                     payload={"message": failure.message})
    if snapshot.completed and instance.status != "completed":
        instance.status = "completed"
        instance.ended_at = now
        record_event(session, instance.id, "ended", now, actor=actor)
        announce_change(session, instance, now)


def announce_change(session: Session, instance: ProcessInstance, now: datetime) -> None:
    """Tell those who follow instances that this one's status or searchable data changed (the search index
    shows them on the instance's case)."""
    session.add(OutboxEvent(topic=INDEX_TOPIC, entity_type="instance", entity_id=str(instance.id), created_at=now,
                            available_at=now, attempts=0))


def _sync_jobs(session: Session, instance: ProcessInstance, snapshot: Snapshot, now: datetime) -> None:
    """One job per waiting timer (due when it fires) and per waiting service task (due now)."""
    wanted: dict[uuid.UUID, Job] = {}
    for timer in snapshot.waits.timers:
        wanted[timer.task_id] = Job(kind="timer", task_id=timer.task_id, element_id=timer.element_id,
                                    handler=None, due_at=timer.due_at)
    for call in snapshot.waits.service_calls:
        wanted[call.task_id] = Job(kind="service", task_id=call.task_id, element_id=call.element_id,
                                   handler=call.handler, due_at=now)
    existing = {job.task_id: job for job in session.scalars(select(Job).where(Job.instance_id == instance.id))}
    for task_id, job in existing.items():
        if task_id not in wanted:
            session.delete(job)
    for task_id, job in wanted.items():
        current = existing.get(task_id)
        if current is None:
            job.id, job.instance_id, job.created_at = uuid.uuid4(), instance.id, now
            job.attempts, job.max_attempts = 0, DEFAULT_MAX_ATTEMPTS
            session.add(job)
        elif job.kind == "timer" and current.due_at != job.due_at:
            current.due_at = job.due_at  # a cycle moved on to its next occurrence


def _sync_subscriptions(session: Session, instance: ProcessInstance, snapshot: Snapshot, now: datetime) -> None:
    wanted = {wait.task_id: wait for wait in snapshot.waits.messages}
    existing = {
        row.task_id: row
        for row in session.scalars(select(MessageSubscription).where(MessageSubscription.instance_id == instance.id))
    }
    for task_id, row in existing.items():
        if task_id not in wanted:
            session.delete(row)
    for task_id, wait in wanted.items():
        if task_id not in existing:
            session.add(MessageSubscription(task_id=task_id, instance_id=instance.id, element_id=wait.element_id,
                                            message_name=wait.name, created_at=now))
