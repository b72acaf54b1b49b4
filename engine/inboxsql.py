"""The inbox's statements over `human_task_entry` (see engine/inbox.py for what the views mean).

A page is the union of short index walks, one per holder (`u:<login>` or `g:<group>`): each walk reads the
entries of one holder and one filter in sort order from the cursor on and stops after `limit` rows, so a
page costs about (holders x limit) index entries whatever the filter selects. The filter a walk reads
(its "drive") is a search field's value, the procedure, or none; with several, the one with the fewest
entries drives and the others are probed per entry (`plan`). Due dates, priority and creation time are
sorted by entry indexes; name, procedure, reference, applicant and assignee join the task row and sort
every entry the drive selects (slower for views of many thousand tasks).

Free text: when the words match at most WORD_SET_LIMIT open tasks (found through a trigram index on
PostgreSQL), walks test membership in that set; otherwise each walked task's text is read, which is quick
when matches are dense and reads the whole view when a common word is rare in it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    tuple_,
    union,
)
from sqlalchemy.orm import Session, load_only

from engine.inboxcursor import Position, SortKind
from engine.models import HumanTask, HumanTaskEntry
from engine.taskindex import FAR_FUTURE, PROCEDURE_FIELD, filter_value

E = HumanTaskEntry
T = HumanTask
COUNT_LIMIT = 999  # counts above this are reported as COUNT_LIMIT + 1 (show "999+")
DRIVE_PROBE = 2000  # entries per holder counted to find the most selective entry filter
WORD_SET_LIMIT = 1000  # a text filter matching at most this many open tasks is applied as a set


@dataclass(frozen=True)
class SortColumn:
    column: Any  # an entry or task column
    kind: SortKind
    nullable: bool

    @property
    def on_task(self) -> bool:
        return self.column.class_ is HumanTask

    @property
    def banded(self) -> bool:
        """Due dates: FAR_FUTURE in `due_sort` stands for "none"; dated and undated rows are walked apart."""
        return self.column is E.due_sort


SORT_COLUMNS: dict[str, SortColumn] = {
    "name": SortColumn(T.name, "str", False),
    "procedure": SortColumn(T.process_name, "str", False),
    "reference": SortColumn(T.reference, "str", True),
    "applicant": SortColumn(T.applicant, "str", True),
    "created": SortColumn(E.created_at, "datetime", False),
    "due": SortColumn(E.due_sort, "datetime", True),
    "priority": SortColumn(E.priority, "int", False),
    "assignee": SortColumn(T.assignee, "str", True),
}
SORTS = tuple(SORT_COLUMNS)
ROW_COLUMNS = (T.instance_id, T.name, T.process_key, T.process_name, T.reference, T.applicant, T.created_at,
               T.due_at, T.follow_up_at, T.priority, T.assignee, T.candidate_groups, T.case_fields)  # an inbox row


@dataclass(frozen=True)
class Filters:
    """A page's filters, already validated."""

    procedure: str | None
    due_from: date | None
    due_to: date | None
    priority: int | None
    fields: tuple[tuple[str, str], ...]
    words: tuple[str, ...]

    @property
    def long_words(self) -> tuple[str, ...]:
        """Words of three letters or more: those the trigram index can look up."""
        return tuple(word for word in self.words if len(word) >= 3)

    def entry_filters(self) -> list[tuple[str, str]]:
        """The filters entries answer exactly: each search field's value and the procedure."""
        found = [(name, filter_value(value) or value) for name, value in self.fields]
        if self.procedure is not None:
            found.append((PROCEDURE_FIELD, self.procedure))
        return found


@dataclass(frozen=True)
class Plan:
    """How the walks apply the filters: `drive` is the entry filter they walk (the smallest), `probes` the
    other entry filters, checked per walked entry; `word_matches` the open tasks the text filter matches
    when they are few (walks then test membership instead of reading each task's text)."""

    drive: tuple[str, str] = ("", "")
    probes: tuple[tuple[str, str], ...] = ()
    word_matches: tuple[uuid.UUID, ...] | None = None


def start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _visible(followup: bool, now: datetime) -> ColumnElement[bool]:
    """Future follow-up dates hide a task; the follow-up view shows the tasks whose date has come."""
    if followup:
        return and_(E.follow_up_at.is_not(None), E.follow_up_at <= now)
    return or_(E.follow_up_at.is_(None), E.follow_up_at <= now)


def _capped(query: Select[Any], cap: int) -> Any:
    return select(func.count()).select_from(query.limit(cap).subquery()).scalar_subquery()


def _matching_words(words: Sequence[str]) -> Select[Any]:
    return select(T.id).where(T.status == "open", *[T.search_text.contains(word, autoescape=True) for word in words])


def plan(session: Session, holders: Sequence[str], filters: Filters) -> Plan:
    """Choose the walks' drive among several entry filters by their (capped) sizes, and look up the tasks
    a text filter matches (up to WORD_SET_LIMIT; words of three letters or more use the trigram index on
    PostgreSQL). Costs a statement only when there is something to choose or look up."""
    candidates = filters.entry_filters()
    matches: tuple[uuid.UUID, ...] | None = None
    if filters.long_words:  # then the trigram index narrows the search; shorter words are rechecked
        found = tuple(session.scalars(_matching_words(filters.words).limit(WORD_SET_LIMIT + 1)))
        matches = found if len(found) <= WORD_SET_LIMIT else None
    if not candidates:
        return Plan(word_matches=matches)
    drive = candidates[0]
    if len(candidates) > 1:
        sizes = [sum((_capped(select(E.task_id).where(E.holder == holder, E.field == field, E.value == value),
                              DRIVE_PROBE) for holder in holders), literal(0))
                 for field, value in candidates]
        measured = list(session.execute(select(*sizes)).one())
        drive = candidates[measured.index(min(measured))]
    return Plan(drive, tuple(c for c in candidates if c != drive), matches)


def _conditions(holder: str, filters: Filters, plan: Plan, followup: bool, now: datetime
                ) -> list[ColumnElement[bool]]:
    field, value = plan.drive
    conditions = [E.holder == holder, E.field == field, E.value == value, _visible(followup, now)]
    if filters.due_from is not None:
        conditions.append(E.due_sort >= start_of(filters.due_from))
    if filters.due_to is not None:
        conditions.append(E.due_sort < start_of(filters.due_to + timedelta(days=1)))
    elif filters.due_from is not None:
        conditions.append(E.due_sort < FAR_FUTURE)
    if filters.priority is not None:
        conditions.append(E.priority >= filters.priority)
    other = HumanTaskEntry.__table__.alias("other")
    for name, text in plan.probes:
        conditions.append(exists().where(other.c.task_id == E.task_id, other.c.holder == E.holder,
                                         other.c.field == name, other.c.value == text))
    if plan.word_matches is not None:
        conditions.append(E.task_id.in_(plan.word_matches))
    conditions.extend(T.search_text.contains(word, autoescape=True) for word in _words_per_task(filters, plan))
    return conditions


def _words_per_task(filters: Filters, plan: Plan) -> tuple[str, ...]:
    """The words a walk checks on each task's text (none when the set of matching tasks is known)."""
    return filters.words if plan.word_matches is None else ()


def _after(sort: SortColumn, position: Position) -> ColumnElement[bool]:
    """Rows after `position` in the order of `_order_by` (NULLs last in both directions)."""
    task_id = literal(position.task_id, E.task_id.type)
    tie = E.task_id < task_id if position.descending else E.task_id > task_id
    column = sort.column
    if position.value is None:
        return tie if sort.banded else and_(column.is_(None), tie)
    value = literal(position.value, column.type)
    if not sort.nullable or sort.banded:
        return (tuple_(column, E.task_id) < tuple_(value, task_id) if position.descending
                else tuple_(column, E.task_id) > tuple_(value, task_id))
    beyond = column < value if position.descending else column > value
    return or_(beyond, and_(column == value, tie), column.is_(None))


def _order_by(value: Any, task_id: Any, nullable: bool, descending: bool) -> list[Any]:
    order = [value.desc(), task_id.desc()] if descending else [value.asc(), task_id.asc()]
    return [value.is_(None), *order] if nullable else order


def _walks(holder: str, sort: SortColumn, descending: bool, filters: Filters, plan: Plan, followup: bool,
           now: datetime, position: Position | None, limit: int) -> list[Select[Any]]:
    """The index walks of one holder: one, or for due dates one over dated and one over undated entries
    (each in index order, so neither sorts)."""
    conditions = _conditions(holder, filters, plan, followup, now)
    join_task = sort.on_task or bool(_words_per_task(filters, plan))

    def walk(value: Any, extra: list[ColumnElement[bool]], order: list[Any]) -> Select[Any]:
        query = select(E.task_id.label("task_id"), value.label("sort_value")).where(*conditions, *extra)
        if join_task:
            query = query.join(T, T.id == E.task_id)
        return query.order_by(*order).limit(limit)

    after = [_after(sort, position)] if position is not None else []
    if not sort.banded:
        return [walk(sort.column, after, _order_by(sort.column, E.task_id, sort.nullable, descending))]
    in_undated = position is not None and position.value is None
    undated = walk(cast(null(), E.due_sort.type), [E.due_sort == FAR_FUTURE, *(after if in_undated else [])],
                   [E.task_id.desc() if descending else E.task_id.asc()])
    if in_undated:
        return [undated]
    dated = walk(E.due_sort, [E.due_sort < FAR_FUTURE, *after], _order_by(E.due_sort, E.task_id, False, descending))
    return [dated, undated]


def page_rows(
    session: Session, holders: Sequence[str], sort: SortColumn, descending: bool, filters: Filters, *,
    followup: bool, now: datetime, position: Position | None, limit: int,
) -> list[tuple[HumanTask, Any]]:
    """Up to `limit` (task row, sort value) pairs of the page after `position`, in page order."""
    if not holders:
        return []
    chosen = plan(session, holders, filters)
    if chosen.word_matches == ():
        return []
    walks = [walk.subquery() for holder in holders
             for walk in _walks(holder, sort, descending, filters, chosen, followup, now, position, limit)]
    if not walks:
        return []
    merged = walks[0] if len(walks) == 1 else union(
        *[select(walk.c.task_id, walk.c.sort_value) for walk in walks]).subquery()
    query = (select(T, merged.c.sort_value).options(load_only(*ROW_COLUMNS)).join(merged, merged.c.task_id == T.id)
             .order_by(*_order_by(merged.c.sort_value, merged.c.task_id, sort.nullable, descending)).limit(limit))
    return [(row[0], row[1]) for row in session.execute(query)]


def _count(holders: Sequence[str], visible: ColumnElement[bool]) -> Any:
    """Distinct tasks of `holders`, counted up to COUNT_LIMIT + 1: each holder's walk stops there, so a
    count never reads more than (holders x COUNT_LIMIT) index entries."""
    if not holders:
        return literal(0)
    walks = [select(E.task_id).where(E.holder == holder, E.field == "", E.value == "", visible)
             .limit(COUNT_LIMIT + 1).subquery() for holder in holders]
    merged = walks[0] if len(walks) == 1 else union(*[select(walk.c.task_id) for walk in walks]).subquery()
    return select(func.count()).select_from(merged).scalar_subquery()


def view_counts(session: Session, views: Mapping[str, Sequence[str]], now: datetime) -> dict[str, int]:
    """How many tasks each view lists without filters (a task of two of one's groups counts once); above
    COUNT_LIMIT a count is COUNT_LIMIT + 1."""
    columns = [_count(holders, _visible(name == "followup", now)).label(name) for name, holders in views.items()]
    row = session.execute(select(*columns)).one()
    return {name: min(int(row[index]), COUNT_LIMIT + 1) for index, name in enumerate(views)}
