"""Writes a workflow snapshot back: instance row, human-task rows, incidents and history, in one session."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import taskmeta
from engine.models import HumanTask, Incident, InstanceEvent, ProcessDefinition, ProcessInstance
from engine.taskmeta import Evaluator
from engine.workflow.runtime import ReadyUserTask, Snapshot


def record_event(
    session: Session, instance_id: uuid.UUID, kind: str, now: datetime, *, element_id: str | None = None,
    task_id: uuid.UUID | None = None, actor: str | None = None, payload: dict[str, Any] | None = None,
) -> None:
    session.add(InstanceEvent(instance_id=instance_id, kind=kind, element_id=element_id, task_id=task_id,
                              actor=actor, payload=payload or {}, created_at=now))


def _new_task(
    instance: ProcessInstance, definition: ProcessDefinition, ready: ReadyUserTask, now: datetime,
    evaluate: Evaluator,
) -> HumanTask:
    meta: dict[str, Any] = definition.user_tasks.get(ready.element_id, {})
    data = ready.data
    return HumanTask(
        id=ready.task_id, instance_id=instance.id, definition_id=definition.id, process_key=definition.key,
        element_id=ready.element_id, name=meta.get("name") or ready.name, status="open",
        assignee=taskmeta.resolve_assignee(meta.get("assignee"), data, evaluate),
        candidate_groups=taskmeta.resolve_groups(meta.get("candidate_groups"), data, evaluate),
        due_at=taskmeta.resolve_moment(meta.get("due_date"), data, now, evaluate),
        follow_up_at=taskmeta.resolve_moment(meta.get("follow_up_date"), data, now, evaluate),
        priority=taskmeta.resolve_priority(meta.get("priority"), data, evaluate),
        form_key=meta.get("form_key"), form_schema=meta.get("form_schema"), created_at=now,
    )


def _sync_human_tasks(
    session: Session, instance: ProcessInstance, definition: ProcessDefinition, snapshot: Snapshot, now: datetime,
    evaluate: Evaluator,
) -> None:
    open_rows = {
        row.id: row
        for row in session.scalars(
            select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.status == "open")
        )
    }
    ready_ids = set()
    for ready in snapshot.ready_user_tasks:
        ready_ids.add(ready.task_id)
        if ready.task_id not in open_rows:
            row = _new_task(instance, definition, ready, now, evaluate)
            session.add(row)
            record_event(session, instance.id, "task_created", now, element_id=row.element_id, task_id=row.id,
                         payload={"assignee": row.assignee, "candidate_groups": row.candidate_groups})
    for task_id, row in open_rows.items():
        if task_id not in ready_ids:
            row.status = "cancelled"
            row.completed_at = now
            record_event(session, instance.id, "task_cancelled", now, element_id=row.element_id, task_id=task_id)


def apply_snapshot(
    session: Session, instance: ProcessInstance, definition: ProcessDefinition, snapshot: Snapshot,
    now: datetime, actor: str | None, evaluate: Evaluator,
) -> None:
    """Store `snapshot` on `instance` and materialise its consequences (tasks, incident, end)."""
    instance.state = snapshot.state_json
    instance.data = snapshot.data
    instance.updated_at = now
    _sync_human_tasks(session, instance, definition, snapshot, now, evaluate)
    if snapshot.failure is not None:
        failure = snapshot.failure
        session.add(Incident(instance_id=instance.id, element_id=failure.element_id, message=failure.message,
                             details=failure.details, created_at=now))
        record_event(session, instance.id, "incident_opened", now, element_id=failure.element_id,
                     payload={"message": failure.message})
    if snapshot.completed and instance.status != "completed":
        instance.status = "completed"
        instance.ended_at = now
        record_event(session, instance.id, "ended", now, actor=actor)
