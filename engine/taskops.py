"""Inbox actions on open tasks: claim, unclaim, delegate, follow-up date, priority, and their bulk forms.

Each action checks `engine.actors.may_work` (claim: an unassigned task of one of the actor's groups),
changes the task row under its optimistic `version` (of two concurrent claims one gets Conflict), rewrites
the task's inbox entries and records an `InstanceEvent` with the actor, so the case history shows who did
what (`on_behalf_of` names the absent assignee when a substitute acts, `comment` what they wrote).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from core.db import UnitOfWork, each_in_savepoint
from core.errors import Conflict, Forbidden, ValidationFailed
from engine import taskindex
from engine.actors import TaskActor, in_candidate_groups, on_behalf_of
from engine.context import EngineContext
from engine.foureyes import require_other_person
from engine.inbox import InboxRow
from engine.models import HumanTask
from engine.persistence import record_event
from engine.tasks import open_task_for, task_row

MAX_COMMENT = 2000
MAX_BULK = 500
MAX_NAME = 255


@dataclass(frozen=True)
class TaskOutcome:
    """What a bulk action did to one task: ok, or the error's code and message."""

    task_id: str
    ok: bool
    error: str | None = None
    code: str | None = None


def checked_comment(comment: str | None, *, required: bool = False) -> str | None:
    text = (comment or "").strip()
    if required and not text:
        raise ValidationFailed("a comment is required", {"comment": "required"})
    if len(text) > MAX_COMMENT:
        raise ValidationFailed(f"the comment is longer than {MAX_COMMENT} characters",
                               {"comment": f"at most {MAX_COMMENT} characters"})
    return text or None


def _record(uow: UnitOfWork, ctx: EngineContext, actor: TaskActor, row: HumanTask, kind: str,
            absent: str | None, comment: str | None, **details: Any) -> InboxRow:
    """Save the changed row (Conflict if a concurrent change won), rewrite its entries, record the event."""
    uow.flush()
    taskindex.rewrite_entries(uow.session, row)
    payload = dict(details)
    if comment is not None:
        payload["comment"] = comment
    if absent is not None:
        payload["on_behalf_of"] = absent
    now = ctx.clock.now()
    record_event(uow.session, row.instance_id, kind, now, element_id=row.element_id, task_id=row.id,
                 actor=actor.name, payload=payload)
    return InboxRow.of(row, actor, now)


def claim(uow: UnitOfWork, ctx: EngineContext, actor: TaskActor, task_id: str | uuid.UUID, *,
          comment: str | None = None) -> InboxRow:
    """Take an unassigned task of one of the actor's groups (admins: any unassigned task). Claiming one's
    own task again changes nothing; a task someone else holds is a Conflict."""
    note = checked_comment(comment)
    row = task_row(uow, task_id)
    if row.status != "open":
        raise Conflict(f"task {row.id} is already {row.status}")
    if row.assignee == actor.name:
        return InboxRow.of(row, actor, ctx.clock.now())
    if row.assignee is not None:
        raise Conflict(f"task {row.id} has already been claimed by {row.assignee}")
    if not (actor.is_admin or in_candidate_groups(actor, row)):
        raise Forbidden(f"task {row.id} is not a task of one of your groups")
    require_other_person(uow.session, row, actor.name)
    row.assignee = actor.name
    return _record(uow, ctx, actor, row, "task_claimed", None, note)


def unclaim(uow: UnitOfWork, ctx: EngineContext, actor: TaskActor, task_id: str | uuid.UUID, *,
            comment: str | None = None) -> InboxRow:
    """Give an assigned task back to its candidate groups (assignee, substitute or admin)."""
    note = checked_comment(comment)
    row = open_task_for(uow, actor, task_id)
    if row.assignee is None:
        raise Conflict(f"task {row.id} is not claimed by anyone")
    if not row.candidate_groups:
        raise Conflict(f"task {row.id} has no candidate group to go back to; delegate it instead")
    absent = on_behalf_of(actor, row)
    previous, row.assignee = row.assignee, None
    return _record(uow, ctx, actor, row, "task_unclaimed", absent, note, from_assignee=previous)


def _delegation_target(to_user: str | None, to_group: str | None) -> tuple[str | None, str | None]:
    user, group = (to_user or "").strip() or None, (to_group or "").strip() or None
    if (user is None) == (group is None):
        raise ValidationFailed("delegate to either a colleague or a group",
                               {"to_user": "give a colleague or a group, not both", "to_group": "or a group"})
    for name, value in (("to_user", user), ("to_group", group)):
        if value is not None and len(value) > MAX_NAME:
            raise ValidationFailed(f"{name} is too long", {name: f"at most {MAX_NAME} characters"})
    return user, group


def delegate(uow: UnitOfWork, ctx: EngineContext, actor: TaskActor, task_id: str | uuid.UUID, *,
             to_user: str | None = None, to_group: str | None = None, comment: str) -> InboxRow:
    """Hand a task to a colleague (they become its assignee) or to a group (unassigned, that group its only
    candidate group), with a required comment."""
    user, group = _delegation_target(to_user, to_group)
    note = checked_comment(comment, required=True)
    row = open_task_for(uow, actor, task_id)
    return _delegate_row(uow, ctx, actor, row, user, group, note)


def _delegate_row(uow: UnitOfWork, ctx: EngineContext, actor: TaskActor, row: HumanTask, user: str | None,
                  group: str | None, note: str | None) -> InboxRow:
    absent = on_behalf_of(actor, row)
    before: dict[str, Any] = {"from_assignee": row.assignee, "from_groups": list(row.candidate_groups)}
    if user is not None:
        require_other_person(uow.session, row, user)
        row.assignee = user
        target: dict[str, Any] = {"to_user": user}
    else:
        row.assignee, row.candidate_groups = None, [str(group)]
        target = {"to_group": group}
    return _record(uow, ctx, actor, row, "task_delegated", absent, note, **target, **before)


def set_follow_up(uow: UnitOfWork, ctx: EngineContext, actor: TaskActor, task_id: str | uuid.UUID,
                  when: date | None, *, comment: str | None = None) -> InboxRow:
    """Put a task away until `when` (it resurfaces at the start of that day, UTC), or None to clear it."""
    if when is not None and (not isinstance(when, date) or isinstance(when, datetime)):
        raise ValidationFailed("the follow-up must be a date", {"when": "expected a date"})
    note = checked_comment(comment)
    row = open_task_for(uow, actor, task_id)
    absent = on_behalf_of(actor, row)
    row.follow_up_at = datetime.combine(when, time(0), tzinfo=UTC) if when is not None else None
    return _record(uow, ctx, actor, row, "task_follow_up_set", absent, note,
                   follow_up=when.isoformat() if when is not None else None)


def set_priority(uow: UnitOfWork, ctx: EngineContext, actor: TaskActor, task_id: str | uuid.UUID,
                 priority: int, *, comment: str | None = None) -> InboxRow:
    """Set a task's priority (0 to 100; the default of a model without one is 50)."""
    if isinstance(priority, bool) or not isinstance(priority, int) or not 0 <= priority <= 100:
        raise ValidationFailed("the priority must be a whole number from 0 to 100",
                               {"priority": "a whole number from 0 to 100"})
    note = checked_comment(comment)
    row = open_task_for(uow, actor, task_id)
    absent = on_behalf_of(actor, row)
    previous, row.priority = row.priority, priority
    return _record(uow, ctx, actor, row, "task_priority_set", absent, note, priority=priority, previous=previous)


def each_task(uow: UnitOfWork, task_ids: Iterable[str | uuid.UUID],
          action: Callable[[str], object]) -> list[TaskOutcome]:
    """Run `action` on every task in its own savepoint: a refused task is reported and rolled back alone."""
    ids = list(dict.fromkeys(str(task_id) for task_id in task_ids))
    if len(ids) > MAX_BULK:
        raise ValidationFailed(f"at most {MAX_BULK} tasks at once", {"ids": f"at most {MAX_BULK}"})
    return [TaskOutcome(task_id, True) if error is None else TaskOutcome(task_id, False, error.message, error.code)
            for task_id, error in each_in_savepoint(uow, ids, action)]


def claim_many(uow: UnitOfWork, ctx: EngineContext, actor: TaskActor,
               task_ids: Iterable[str | uuid.UUID]) -> list[TaskOutcome]:
    """Claim each task; every task's outcome is reported, one refusal does not stop the others."""
    return each_task(uow, task_ids, lambda task_id: claim(uow, ctx, actor, task_id))


def delegate_many(uow: UnitOfWork, ctx: EngineContext, actor: TaskActor, task_ids: Iterable[str | uuid.UUID], *,
                  to_user: str | None = None, to_group: str | None = None, comment: str) -> list[TaskOutcome]:
    """Delegate each task (see `delegate`); a missing comment or target refuses the whole call."""
    user, group = _delegation_target(to_user, to_group)
    note = checked_comment(comment, required=True)

    def one(task_id: str) -> None:
        _delegate_row(uow, ctx, actor, open_task_for(uow, actor, task_id), user, group, note)

    return each_task(uow, task_ids, one)
