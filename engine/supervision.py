"""Supervisors steer open tasks: reassign them to a person or a group, change their due dates; and read what
they steer (open tasks of instances, open incidents with their error details).

Like the inbox actions (engine/taskops.py) every task of a call gets its own outcome in its own savepoint: a
refused task is reported and rolled back alone. Each change is made under the task's optimistic `version`
(optionally checked against the version the supervisor saw), rewrites the task's inbox entries and records an
`InstanceEvent` (`task_reassigned` / `task_due_changed`) with the supervisor, their comment and the values
before and after, so the case history shows who changed what and why.

Which instances a supervisor may steer is the e-file's business (owning units): callers pass `within`, the
instances whose tasks they may touch (None: all); a task outside it does not exist for them.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from core.clock import end_of_day
from core.db import UnitOfWork
from core.errors import Conflict, NotFound, ValidationFailed
from engine import taskindex
from engine.context import EngineContext
from engine.foureyes import require_other_person
from engine.models import HumanTask, Incident, Job, ProcessDefinition, ProcessInstance
from engine.persistence import record_event
from engine.taskops import MAX_NAME, TaskOutcome, checked_comment, each_task
from engine.tasks import task_row

TASK_REASSIGNED = "task_reassigned"
TASK_DUE_CHANGED = "task_due_changed"
SUPERVISION_EVENTS = (TASK_REASSIGNED, TASK_DUE_CHANGED, "cancelled", "incident_resolved")
MAX_TASKS = 2000


@dataclass(frozen=True)
class SupervisedTask:
    """An open task as a supervisor sees it (with the version a change must still find)."""

    id: str
    instance_id: str
    element_id: str
    name: str
    assignee: str | None
    candidate_groups: list[str]
    due_at: datetime | None
    created_at: datetime
    version: int

    @classmethod
    def of(cls, row: HumanTask) -> SupervisedTask:
        return cls(str(row.id), str(row.instance_id), row.element_id, row.name, row.assignee,
                   list(row.candidate_groups), row.due_at, row.created_at, row.version)

    def overdue(self, now: datetime) -> bool:
        return self.due_at is not None and self.due_at < now


@dataclass(frozen=True)
class IncidentDetail:
    """An incident with what a supervisor needs to decide: the error, its details, where and how often."""

    id: int
    instance_id: str
    process_key: str
    process_name: str
    business_key: str | None
    instance_status: str
    element_id: str
    message: str
    details: str | None
    created_at: datetime
    attempts: int | None  # of the failed service call, when it was one
    handler: str | None


def _target(to_user: str | None, to_group: str | None) -> tuple[str | None, str | None]:
    user, group = (to_user or "").strip() or None, (to_group or "").strip() or None
    if (user is None) == (group is None):
        raise ValidationFailed("reassign to either a person or a group",
                               {"to": "give a person or a group, not both"})
    for name, value in (("to_user", user), ("to_group", group)):
        if value is not None and len(value) > MAX_NAME:
            raise ValidationFailed(f"{name} is too long", {name: f"at most {MAX_NAME} characters"})
    return user, group


def _steerable(uow: UnitOfWork, task_id: str, within: Collection[uuid.UUID] | None,
               versions: Mapping[str, int] | None) -> HumanTask:
    """The open task's row if the supervisor may steer it and it is still the version they saw."""
    row = task_row(uow, task_id)
    if within is not None and row.instance_id not in within:
        raise NotFound(f"task {task_id} not found")
    if row.status != "open":
        raise Conflict(f"task {row.id} is already {row.status}")
    expected = (versions or {}).get(str(row.id))
    if expected is not None and expected != row.version:
        raise Conflict(f"task “{row.name}” was changed by someone else meanwhile; reload and try again")
    return row


def _record(uow: UnitOfWork, ctx: EngineContext, supervisor: str, row: HumanTask, kind: str, comment: str | None,
            before: dict[str, Any], after: dict[str, Any]) -> None:
    """Save the row (Conflict if a concurrent change won), rewrite its inbox entries, record the event."""
    uow.flush()
    taskindex.rewrite_entries(uow.session, row)
    payload: dict[str, Any] = {"before": before, "after": after}
    if comment is not None:
        payload["comment"] = comment
    record_event(uow.session, row.instance_id, kind, ctx.clock.now(), element_id=row.element_id, task_id=row.id,
                 actor=supervisor, payload=payload)


def reassign(uow: UnitOfWork, ctx: EngineContext, supervisor: str, task_ids: Iterable[str | uuid.UUID], *,
             to_user: str | None = None, to_group: str | None = None, comment: str,
             within: Collection[uuid.UUID] | None = None,
             versions: Mapping[str, int] | None = None) -> list[TaskOutcome]:
    """Give each task to a person (they become its assignee; the four-eyes rule applies) or to a group
    (unassigned, that group its only candidate group), with a required comment.

    The caller checks that the person exists. A missing comment or target refuses the whole call; a task that
    is closed, already held that way, changed meanwhile (`versions`: task id -> version seen) or outside
    `within` is refused alone.
    """
    user, group = _target(to_user, to_group)
    note = checked_comment(comment, required=True)

    def one(task_id: str) -> None:
        row = _steerable(uow, task_id, within, versions)
        before = {"assignee": row.assignee, "candidate_groups": list(row.candidate_groups)}
        if user is not None:
            if row.assignee == user:
                raise Conflict(f"task “{row.name}” is already assigned to {user}")
            require_other_person(uow.session, row, user)
            row.assignee = user
        else:
            if row.assignee is None and list(row.candidate_groups) == [group]:
                raise Conflict(f"task “{row.name}” is already with group {group}")
            row.assignee, row.candidate_groups = None, [str(group)]
        after = {"assignee": row.assignee, "candidate_groups": list(row.candidate_groups)}
        _record(uow, ctx, supervisor, row, TASK_REASSIGNED, note, before, after)

    return each_task(uow, task_ids, one)


def due_moment(due: date | datetime | None, now: datetime) -> datetime | None:
    """The stored due moment: a date means the end of that day in the city (as models' due dates); not in the past."""
    if due is None:
        return None
    if isinstance(due, datetime):
        moment = due if due.tzinfo else due.replace(tzinfo=UTC)
    elif isinstance(due, date):
        moment = end_of_day(due)
    else:
        raise ValidationFailed("the due date must be a date", {"due": "expected a date"})
    if moment < now:
        raise ValidationFailed("the due date lies in the past", {"due": "lies in the past"})
    if moment.year >= taskindex.FAR_FUTURE.year:
        raise ValidationFailed("the due date lies too far in the future", {"due": "too far in the future"})
    return moment


def change_due(uow: UnitOfWork, ctx: EngineContext, supervisor: str, task_ids: Iterable[str | uuid.UUID],
               due: date | datetime | None, comment: str | None, *, within: Collection[uuid.UUID] | None = None,
               versions: Mapping[str, int] | None = None) -> list[TaskOutcome]:
    """Set (or with None clear) each task's due date; the comment says why. Refusals as for `reassign`."""
    moment = due_moment(due, ctx.clock.now())
    note = checked_comment(comment)

    def one(task_id: str) -> None:
        row = _steerable(uow, task_id, within, versions)
        if row.due_at == moment:
            raise Conflict(f"task “{row.name}” already has this due date")
        before = {"due": row.due_at.isoformat() if row.due_at else None}
        row.due_at = moment
        _record(uow, ctx, supervisor, row, TASK_DUE_CHANGED, note, before,
                {"due": moment.isoformat() if moment else None})

    return each_task(uow, task_ids, one)


def open_tasks(uow: UnitOfWork, instance_ids: Collection[uuid.UUID]) -> list[SupervisedTask]:
    """The open tasks of these instances (at most MAX_TASKS), by instance, then oldest first."""
    if not instance_ids:
        return []
    query = (select(HumanTask).where(HumanTask.instance_id.in_(list(instance_ids)), HumanTask.status == "open")
             .order_by(HumanTask.instance_id, HumanTask.created_at, HumanTask.name).limit(MAX_TASKS))
    return [SupervisedTask.of(row) for row in uow.session.scalars(query)]


def task_instances(uow: UnitOfWork, task_ids: Iterable[str | uuid.UUID]) -> dict[str, uuid.UUID]:
    """Task id -> its instance id, for the tasks that exist (unparseable ids are left out)."""
    ids = []
    for task_id in list(task_ids)[:MAX_TASKS]:
        try:
            ids.append(task_id if isinstance(task_id, uuid.UUID) else uuid.UUID(str(task_id)))
        except ValueError:
            continue
    if not ids:
        return {}
    rows = uow.session.execute(select(HumanTask.id, HumanTask.instance_id).where(HumanTask.id.in_(ids)))
    return {str(task_id): instance_id for task_id, instance_id in rows}


def _incident_query() -> Any:
    return (select(Incident, ProcessInstance.process_key, ProcessDefinition.name, ProcessInstance.business_key,
                   ProcessInstance.status, Job.attempts, Job.handler)
            .join(ProcessInstance, ProcessInstance.id == Incident.instance_id)
            .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
            .outerjoin(Job, Job.id == Incident.job_id))


def _detail(row: Any) -> IncidentDetail:
    incident, key, name, business_key, status, attempts, handler = row
    return IncidentDetail(incident.id, str(incident.instance_id), key, name, business_key, status,
                          incident.element_id, incident.message, incident.details, incident.created_at, attempts,
                          handler)


def open_incidents(uow: UnitOfWork, *, within: Collection[uuid.UUID] | None = None,
                   limit: int = 200) -> list[IncidentDetail]:
    """Unresolved incidents, newest first, with their details; only those of `within` when given."""
    query = _incident_query().where(Incident.resolved_at.is_(None))
    if within is not None:
        if not within:
            return []
        query = query.where(Incident.instance_id.in_(list(within)))
    query = query.order_by(Incident.created_at.desc(), Incident.id.desc()).limit(min(max(limit, 1), 1000))
    return [_detail(row) for row in uow.session.execute(query)]


def get_incident(uow: UnitOfWork, incident_id: int) -> IncidentDetail:
    found = uow.session.execute(_incident_query().where(Incident.id == incident_id)).one_or_none()
    if found is None:
        raise NotFound(f"incident {incident_id} not found")
    return _detail(found)
