"""The inbox's statements over `human_task_entry` (see engine/inbox.py for what the views mean).

A page is the union of one short index walk per holder (`u:<login>` or `g:<group>`): each walk reads the
entries of one holder and one filter (no filter, a procedure, or a search field's value) in sort order
from the cursor on and stops after `limit + 1` rows, so a page costs about (holders x limit) index entries
whatever the filter selects. Sorting by due date ascending, created or priority reads the entry table
alone; the other columns join the task row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, distinct, exists, func, literal, or_, select, tuple_, union
from sqlalchemy.orm import Session

from engine.inboxcursor import Position, SortKind
from engine.models import HumanTask, HumanTaskEntry
from engine.taskindex import FAR_FUTURE, PROCEDURE_FIELD, filter_value

E = HumanTaskEntry
T = HumanTask


@dataclass(frozen=True)
class SortColumn:
    column: Any  # an entry or task column
    kind: SortKind
    nullable: bool

    @property
    def on_task(self) -> bool:
        return self.column.class_ is HumanTask


def sort_column(sort: str, descending: bool) -> SortColumn:
    """The column a sort reads. Due dates ascending use the entries' NULL-free `due_sort` (no join); due
    dates descending read the task so that tasks without a due date still come last."""
    if sort == "due":
        return SortColumn(T.due_at, "datetime", True) if descending else SortColumn(E.due_sort, "datetime", False)
    return SORT_COLUMNS[sort]


SORT_COLUMNS: dict[str, SortColumn] = {
    "name": SortColumn(T.name, "str", False),
    "procedure": SortColumn(T.process_name, "str", False),
    "reference": SortColumn(T.reference, "str", True),
    "applicant": SortColumn(T.applicant, "str", True),
    "created": SortColumn(E.created_at, "datetime", False),
    "priority": SortColumn(E.priority, "int", False),
    "assignee": SortColumn(T.assignee, "str", True),
}
SORTS = ("name", "procedure", "reference", "applicant", "created", "due", "priority", "assignee")


@dataclass(frozen=True)
class Filters:
    """A page's filters, already validated."""

    procedure: str | None
    due_from: date | None
    due_to: date | None
    priority: int | None
    fields: tuple[tuple[str, str], ...]
    words: tuple[str, ...]


def start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _visible(followup: bool, now: datetime) -> ColumnElement[bool]:
    """Future follow-up dates hide a task; the follow-up view shows the tasks whose date has come."""
    if followup:
        return and_(E.follow_up_at.is_not(None), E.follow_up_at <= now)
    return or_(E.follow_up_at.is_(None), E.follow_up_at <= now)


def _drive(filters: Filters) -> tuple[str, str]:
    """The filter whose entries a walk reads: a field's value, else the procedure, else all."""
    if filters.fields:
        name, value = filters.fields[0]
        return name, filter_value(value) or value
    if filters.procedure is not None:
        return PROCEDURE_FIELD, filters.procedure
    return "", ""


def _conditions(holder: str, filters: Filters, followup: bool, now: datetime) -> list[ColumnElement[bool]]:
    field, value = _drive(filters)
    conditions = [E.holder == holder, E.field == field, E.value == value, _visible(followup, now)]
    if filters.procedure is not None and field != PROCEDURE_FIELD:
        conditions.append(E.process_key == filters.procedure)
    if filters.due_from is not None:
        conditions.append(E.due_sort >= start_of(filters.due_from))
    if filters.due_to is not None:
        conditions.append(E.due_sort < start_of(filters.due_to + timedelta(days=1)))
    elif filters.due_from is not None:
        conditions.append(E.due_sort < FAR_FUTURE)
    if filters.priority is not None:
        conditions.append(E.priority >= filters.priority)
    other = HumanTaskEntry.__table__.alias("other")
    for name, text in filters.fields[1:]:
        conditions.append(exists().where(other.c.task_id == E.task_id, other.c.holder == E.holder,
                                         other.c.field == name, other.c.value == text))
    for word in filters.words:
        conditions.append(T.search_text.contains(word, autoescape=True))
    return conditions


def _after(sort: SortColumn, position: Position) -> ColumnElement[bool]:
    """Rows after `position` in the order of `_order_by` (NULLs last in both directions)."""
    value = literal(position.value, sort.column.type)
    task_id = literal(position.task_id, E.task_id.type)
    column = sort.column
    if not sort.nullable:
        return (tuple_(column, E.task_id) < tuple_(value, task_id) if position.descending
                else tuple_(column, E.task_id) > tuple_(value, task_id))
    if position.value is None:
        return and_(column.is_(None), E.task_id < task_id if position.descending else E.task_id > task_id)
    beyond = column < value if position.descending else column > value
    tie = E.task_id < task_id if position.descending else E.task_id > task_id
    return or_(beyond, and_(column == value, tie), column.is_(None))


def _order_by(value: Any, task_id: Any, nullable: bool, descending: bool) -> list[Any]:
    order = [value.desc(), task_id.desc()] if descending else [value.asc(), task_id.asc()]
    return [value.is_(None), *order] if nullable else order


def _walk(holder: str, sort: SortColumn, descending: bool, filters: Filters, followup: bool, now: datetime,
          position: Position | None, limit: int) -> Select[Any]:
    query = select(E.task_id.label("task_id"), sort.column.label("sort_value")).where(
        *_conditions(holder, filters, followup, now))
    if sort.on_task or filters.words:
        query = query.join(T, T.id == E.task_id)
    if position is not None:
        query = query.where(_after(sort, position))
    return query.order_by(*_order_by(sort.column, E.task_id, sort.nullable, descending)).limit(limit)


def page_rows(
    session: Session, holders: Sequence[str], sort: SortColumn, descending: bool, filters: Filters, *,
    followup: bool, now: datetime, position: Position | None, limit: int,
) -> list[tuple[HumanTask, Any]]:
    """Up to `limit` (task row, sort value) pairs of the page after `position`, in page order."""
    if not holders:
        return []
    walks = [_walk(h, sort, descending, filters, followup, now, position, limit).subquery() for h in holders]
    if len(walks) == 1:
        merged = walks[0]
    else:
        merged = union(*[select(walk.c.task_id, walk.c.sort_value) for walk in walks]).subquery()
    query = (select(T, merged.c.sort_value).join(merged, merged.c.task_id == T.id)
             .order_by(*_order_by(merged.c.sort_value, merged.c.task_id, sort.nullable, descending)).limit(limit))
    return [(row[0], row[1]) for row in session.execute(query)]


def _count(holders: Sequence[str], visible: ColumnElement[bool], distinct_tasks: bool) -> Any:
    if not holders:
        return literal(0)
    counted = func.count(distinct(E.task_id)) if distinct_tasks else func.count()
    where = [E.holder.in_(holders) if len(holders) > 1 else E.holder == holders[0], E.field == "", E.value == "",
             visible]
    return select(counted).where(*where).scalar_subquery()


def view_counts(session: Session, views: Mapping[str, Sequence[str]], now: datetime) -> dict[str, int]:
    """How many tasks each view lists without filters (a task in two of one's groups counts once)."""
    columns = [
        _count(holders, _visible(name == "followup", now), distinct_tasks=len(holders) > 1).label(name)
        for name, holders in views.items()
    ]
    row = session.execute(select(*columns)).one()
    return {name: int(row[index]) for index, name in enumerate(views)}
