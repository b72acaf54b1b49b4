"""The caseworker inbox (Postkorb): one page of open tasks for one person, with the counts of every view.

Views, for an actor (`engine.actors.TaskActor`):
- "mine": open tasks assigned to the actor;
- "groups": open *unassigned* tasks of one of the actor's candidate groups (the ones they can claim);
- "substitutions": open tasks assigned to someone the actor currently stands in for (each row names them
  in `on_behalf_of`);
- "followup": every open task of the three views above whose follow-up date (Wiedervorlage) has come.

A follow-up date in the future hides a task from "mine", "groups" and "substitutions": it is put away
until that day and resurfaces then, in those views and in "followup" (which lists only tasks whose date
has come). Counts are of the unfiltered views; a task of two of one's groups counts once; a view of more
than COUNT_LIMIT (999) tasks is counted as COUNT_LIMIT + 1 (show "999+"), so counting stays cheap.

Everything comes from the materialised task tables (`human_task`, `human_task_entry`); no workflow is
deserialized and no process data is read. Pages use keyset pagination: `next_cursor` continues the same
sort order (NULLs last in both directions, the task id breaking ties).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal, get_args

from core.db import UnitOfWork
from core.errors import ValidationFailed
from engine import inboxsql
from engine.actors import TaskActor, on_behalf_of
from engine.inboxcursor import Position, decode, encode
from engine.inboxsql import COUNT_LIMIT, SORT_COLUMNS, SORTS, Filters
from engine.models import HumanTask
from engine.taskindex import FAR_FUTURE, group_holder, user_holder

__all__ = ["COUNT_LIMIT", "SORTS", "VIEWS", "InboxPage", "InboxQuery", "InboxRow", "TaskActor", "inbox", "view_holders"]

View = Literal["mine", "groups", "substitutions", "followup"]
VIEWS: tuple[View, ...] = get_args(View)
MAX_LIMIT = 200
MAX_TEXT = 200
MAX_WORDS = 5


@dataclass(frozen=True, kw_only=True)
class InboxQuery:
    """One inbox page request. `priority` is a minimum ("at least"); `fields` are exact matches on the
    procedure's search fields (as text: `true`/`false` for booleans); `text` matches, case-insensitively,
    every one of its words somewhere in task name, procedure, reference, applicant or field values; due
    dates filter by calendar day (UTC), both ends inclusive."""

    view: View
    now: datetime
    sort: str = "due"
    descending: bool = False
    procedure: str | None = None
    due_from: date | None = None
    due_to: date | None = None
    priority: int | None = None
    fields: Mapping[str, str] = field(default_factory=dict)
    text: str | None = None
    cursor: str | None = None
    limit: int = 50


@dataclass(frozen=True)
class InboxRow:
    id: str
    instance_id: str
    name: str
    process_key: str
    process_name: str
    reference: str | None
    applicant: str | None
    created_at: datetime
    due_at: datetime | None
    overdue: bool
    follow_up_at: datetime | None
    priority: int
    assignee: str | None
    candidate_groups: list[str]
    fields: dict[str, Any]
    on_behalf_of: str | None  # the absent assignee when the row is there through a substitution

    @classmethod
    def of(cls, row: HumanTask, actor: TaskActor, now: datetime) -> InboxRow:
        return cls(
            id=str(row.id), instance_id=str(row.instance_id), name=row.name, process_key=row.process_key,
            process_name=row.process_name, reference=row.reference, applicant=row.applicant,
            created_at=row.created_at, due_at=row.due_at, overdue=row.due_at is not None and row.due_at < now,
            follow_up_at=row.follow_up_at, priority=row.priority, assignee=row.assignee,
            candidate_groups=list(row.candidate_groups), fields=dict(row.case_fields),
            on_behalf_of=on_behalf_of(actor, row),
        )


@dataclass(frozen=True)
class InboxPage:
    rows: list[InboxRow]
    next_cursor: str | None
    counts: dict[str, int]  # every view's unfiltered count, keyed by view name; COUNT_LIMIT + 1 = "more"


def view_holders(actor: TaskActor) -> dict[str, list[str]]:
    """The entry holders each view reads for `actor`."""
    mine = [user_holder(actor.name)]
    groups = [group_holder(group) for group in sorted(actor.groups)]
    substituted = [user_holder(login) for login in sorted(actor.substitutes_for) if login != actor.name]
    return {"mine": mine, "groups": groups, "substitutions": substituted, "followup": mine + groups + substituted}


def inbox(uow: UnitOfWork, actor: TaskActor, query: InboxQuery) -> InboxPage:
    """One page of `query.view` for `actor`, and the counts of all views. Raises ValidationFailed naming
    the offending query field (view, sort, priority, due_to, fields, text, cursor, now)."""
    filters = _filters(query)
    sort = SORT_COLUMNS[query.sort]
    position = decode(query.cursor, query.sort, query.descending, sort.kind) if query.cursor else None
    limit = min(max(query.limit, 1), MAX_LIMIT)
    holders = view_holders(actor)
    found = inboxsql.page_rows(uow.session, holders[query.view], sort, query.descending, filters,
                               followup=query.view == "followup", now=query.now, position=position,
                               limit=limit + 1)
    next_cursor = None
    if len(found) > limit:
        found = found[:limit]
        last, value = found[-1]
        next_cursor = encode(Position(query.sort, query.descending, value, last.id))
    return InboxPage(rows=[InboxRow.of(row, actor, query.now) for row, _ in found], next_cursor=next_cursor,
                     counts=inboxsql.view_counts(uow.session, holders, query.now))


def _refuse(name: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"invalid inbox query: {name} {message}", {name: message})


def _filters(query: InboxQuery) -> Filters:
    if query.view not in VIEWS:
        raise _refuse("view", f"must be one of {', '.join(VIEWS)}")
    if query.sort not in SORTS:
        raise _refuse("sort", f"must be one of {', '.join(SORTS)}")
    if query.now.tzinfo is None:
        raise _refuse("now", "must be timezone-aware")
    if query.priority is not None and (isinstance(query.priority, bool) or not 0 <= query.priority <= 100):
        raise _refuse("priority", "must be a whole number from 0 to 100")
    if query.due_from and query.due_to and query.due_to < query.due_from:
        raise _refuse("due_to", "lies before due_from")
    if any(day is not None and day >= FAR_FUTURE.date() for day in (query.due_from, query.due_to)):
        raise _refuse("due_to", "lies too far in the future")
    for name, value in query.fields.items():
        if not isinstance(name, str) or not isinstance(value, str) or not name or name.startswith("@"):
            raise _refuse("fields", "must map search field names to text")
    text = (query.text or "").strip().lower()
    if len(text) > MAX_TEXT:
        raise _refuse("text", f"is longer than {MAX_TEXT} characters")
    words = tuple(dict.fromkeys(text.split()))
    if len(words) > MAX_WORDS:
        raise _refuse("text", f"has more than {MAX_WORDS} words")
    return Filters(procedure=query.procedure or None, due_from=query.due_from, due_to=query.due_to,
                   priority=query.priority, fields=tuple(sorted(query.fields.items())), words=words)
