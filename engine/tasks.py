"""Human tasks: list and complete (the complete path of DESIGN.md section 2)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from core.db import UnitOfWork
from core.errors import Conflict, Forbidden, NotFound
from core.ids import parse_uuid
from engine.actors import TaskActor, may_work, on_behalf_of
from engine.context import EngineContext
from engine.forms import keep_read_only, require_object, validate_form_data
from engine.foureyes import require_other_person
from engine.instances import get_instance
from engine.models import HumanTask, ProcessInstance
from engine.persistence import record_event
from engine.progress import load, save
from engine.taskindex import drop_closed
from engine.views import InstanceView, TaskView
from engine.workflow.runtime import json_safe

MAX_PAGE = 1000


def list_tasks(
    uow: UnitOfWork, *, instance_id: str | None = None, status: str = "open", assignee: str | None = None,
    limit: int = 200,
) -> list[TaskView]:
    """Tasks from the materialised table only (never deserializes a workflow)."""
    query = select(HumanTask).where(HumanTask.status == status)
    if instance_id is not None:
        query = query.where(HumanTask.instance_id == parse_uuid(instance_id, "process instance"))
    if assignee is not None:
        query = query.where(HumanTask.assignee == assignee)
    query = query.order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at, HumanTask.id)
    return [TaskView.of(row) for row in uow.session.scalars(query.limit(min(max(limit, 1), MAX_PAGE)))]


def get_task(uow: UnitOfWork, task_id: str | uuid.UUID) -> TaskView:
    return TaskView.of(task_row(uow, task_id))


def task_row(uow: UnitOfWork, task_id: str | uuid.UUID) -> HumanTask:
    """The task's row. Its `version` makes every change optimistic: of two concurrent claims or completions
    the second one's UPDATE finds the version moved on and gets Conflict."""
    row = uow.session.get(HumanTask, parse_uuid(task_id, "task"))
    if row is None:
        raise NotFound(f"task {task_id} not found")
    return row


def open_task_for(uow: UnitOfWork, actor: TaskActor, task_id: str | uuid.UUID) -> HumanTask:
    """The row of an open task `actor` may work on; NotFound, Conflict (closed) or Forbidden."""
    row = task_row(uow, task_id)
    if row.status != "open":
        raise Conflict(f"task {row.id} is already {row.status}")
    if not may_work(actor, row):
        holder = f"assigned to {row.assignee}" if row.assignee else "not in one of your groups"
        raise Forbidden(f"task {row.id} is {holder}")
    return row


def complete_task(
    uow: UnitOfWork, ctx: EngineContext, task_id: str | uuid.UUID, data: Any, *, user: str | None = None,
    actor: TaskActor | None = None,
) -> InstanceView:
    """Validate `data` against the task's form, complete it and run the instance until it waits.

    With `actor` the rule of `engine.actors.may_work` applies; a substitute's completion is recorded as
    theirs with `on_behalf_of` the absent assignee ("by X for Y"). Without it, `user` (if given) must be the
    assignee of an assigned task (the JSON API and CLI before sign-in).
    Raises ValidationFailed (nothing saved), NotFound, Forbidden, or Conflict when the task is no longer
    open or another completion of the same instance committed first.
    """
    if actor is not None:
        row = open_task_for(uow, actor, task_id)
        user = actor.name
    else:
        row = task_row(uow, task_id)
        if row.status != "open":
            raise Conflict(f"task {row.id} is already {row.status}")
        if row.assignee and user and row.assignee != user:
            raise Forbidden(f"task {row.id} is assigned to {row.assignee}")
    require_other_person(uow.session, row, user)
    instance = uow.session.get(ProcessInstance, row.instance_id)
    assert instance is not None
    submitted = require_object(data)
    payload = validate_form_data(row.form_schema, keep_read_only(row.form_schema, submitted, instance.data or {}))
    if instance.status != "running":
        raise Conflict(f"process instance {instance.id} is {instance.status}")
    now = ctx.clock.now()
    loaded = load(uow, ctx, instance)
    snapshot = ctx.runtime.complete_user_task(loaded.live, row.id, dict(payload), now)
    row.status, row.completed_at, row.completed_by = "completed", now, user
    event: dict[str, Any] = {"data": json_safe(payload)}
    absent = on_behalf_of(actor, row) if actor is not None else None
    if absent is not None:
        event["on_behalf_of"] = absent
    record_event(uow.session, instance.id, "task_completed", now, element_id=row.element_id, task_id=row.id,
                 actor=user, payload=event)
    drop_closed(uow.session, [row.id])
    save(uow, ctx, loaded, snapshot, now, user)
    return get_instance(uow, instance.id)
