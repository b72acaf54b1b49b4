"""What supervisors search and steer, read across the e-file and the engine: cases with their process state,
and which process instances a supervisor may steer.

Engine and records do not know each other (DESIGN.md §1), so the one query that joins a file's cases with
their process instances, tasks and incidents lives here, above both. Every query carries
`records.access.visible_files`: a supervisor finds only the cases of the files they may see (their units and
clearance; administrators everything), whatever the filters or free text say.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, case, exists, func, or_, select

from core.db import UnitOfWork
from core.errors import ValidationFailed
from engine.models import HumanTask, Incident, ProcessDefinition, ProcessInstance
from records.access import Principal, visible_files
from records.models import RecordCase, RecordFile

PAGE_SIZE = 50
MAX_PAGE = 200  # offset pages beyond this are refused: narrow the filters instead
MAX_TEXT = 200
COUNT_LIMIT = 10_000
STATES = ("open", "in_progress", "waiting", "incident", "suspended", "completed", "cancelled", "closed")
Sort = Literal["opened_desc", "opened_asc"]


@dataclass(frozen=True)
class CaseQuery:
    """The case list's filters; every one narrows the list, all of them together too."""

    procedure: str | None = None
    state: str | None = None  # one of STATES; "open" means every case not yet closed
    unit: str | None = None  # owning unit of the case's file
    overdue: bool = False  # with an open task past its due date
    opened_from: date | None = None
    opened_to: date | None = None
    closed_from: date | None = None
    closed_to: date | None = None
    text: str | None = None  # in title, reference number or applicant name
    sort: Sort = "opened_desc"
    page: int = 1


@dataclass(frozen=True)
class CaseRow:
    id: uuid.UUID
    file_id: uuid.UUID
    reference_number: str
    title: str
    applicant: str | None
    unit: str
    procedure: str | None
    procedure_name: str | None
    process_instance_id: uuid.UUID | None
    state: str
    overdue: bool
    opened_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True)
class CasePage:
    rows: list[CaseRow]
    page: int
    has_next: bool
    total: int  # capped at COUNT_LIMIT
    units: list[str] = field(default_factory=list)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _checked(query: CaseQuery) -> None:
    if query.state is not None and query.state not in STATES:
        raise ValidationFailed(f"state must be one of {', '.join(STATES)}", {"state": "unknown state"})
    for low, high, name in ((query.opened_from, query.opened_to, "opened_to"),
                            (query.closed_from, query.closed_to, "closed_to")):
        if low and high and high < low:
            raise ValidationFailed(f"{name} lies before the start of the range", {name: "before the start"})
    if not 1 <= query.page <= MAX_PAGE:
        raise ValidationFailed(f"page must be from 1 to {MAX_PAGE}; narrow the filters",
                               {"page": f"1 to {MAX_PAGE}"})
    if query.text is not None and len(query.text) > MAX_TEXT:
        raise ValidationFailed(f"the search text is longer than {MAX_TEXT} characters", {"q": "too long"})


def _open_task(now: datetime | None = None) -> ColumnElement[bool]:
    conditions = [HumanTask.instance_id == RecordCase.process_instance_id, HumanTask.status == "open"]
    if now is not None:
        conditions.append(HumanTask.due_at < now)
    return exists().where(*conditions)


def _open_incident() -> ColumnElement[bool]:
    return exists().where(Incident.instance_id == RecordCase.process_instance_id, Incident.resolved_at.is_(None))


def _state() -> ColumnElement[str]:
    """The case's state: closed; open (no process); incident; in progress (open tasks) or waiting (for a
    timer, message or service call) while running; else the process status (suspended, completed, cancelled)."""
    running = case((_open_task(), "in_progress"), else_="waiting")
    return case(
        (RecordCase.closed_at.is_not(None), "closed"),
        (ProcessInstance.id.is_(None), "open"),
        (_open_incident(), "incident"),
        (ProcessInstance.status == "running", running),
        else_=ProcessInstance.status,
    )


def _filters(query: CaseQuery, state: ColumnElement[str], now: datetime) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if query.procedure:
        where.append(ProcessInstance.process_key == query.procedure)
    if query.state == "open":
        where.append(RecordCase.closed_at.is_(None))
    elif query.state:
        where.append(state == query.state)
    if query.unit:
        where.append(RecordFile.owning_unit == query.unit)
    if query.overdue:
        where.append(_open_task(now))
    for column, low, high in ((RecordCase.created_at, query.opened_from, query.opened_to),
                              (RecordCase.closed_at, query.closed_from, query.closed_to)):
        if low:
            where.append(column >= _day_start(low))
        if high:
            where.append(column < _day_start(high + timedelta(days=1)))
    if query.text:
        words = query.text.strip()
        where.append(or_(RecordCase.title.icontains(words, autoescape=True),
                         RecordFile.reference_number.icontains(words, autoescape=True),
                         RecordCase.applicant["name"].as_string().icontains(words, autoescape=True)))
    return where


def search_cases(uow: UnitOfWork, principal: Principal, query: CaseQuery, now: datetime) -> CasePage:
    """One page of the cases `principal` may see that match `query`, by opened date."""
    _checked(query)
    state = _state().label("state")
    where = [visible_files(principal), *_filters(query, state, now)]
    base = (select(RecordCase.id).join(RecordFile, RecordFile.id == RecordCase.file_id)
            .outerjoin(ProcessInstance, ProcessInstance.id == RecordCase.process_instance_id).where(*where))
    order = (RecordCase.created_at.desc(), RecordCase.id.desc()) if query.sort == "opened_desc" else (
        RecordCase.created_at, RecordCase.id)
    listing = (select(RecordCase.id, RecordCase.file_id, RecordFile.reference_number, RecordCase.title,
                      RecordCase.applicant, RecordFile.owning_unit, ProcessInstance.process_key, ProcessDefinition.name,
                      RecordCase.process_instance_id, state, _open_task(now).label("overdue"),
                      RecordCase.created_at, RecordCase.closed_at)
               .join(RecordFile, RecordFile.id == RecordCase.file_id)
               .outerjoin(ProcessInstance, ProcessInstance.id == RecordCase.process_instance_id)
               .outerjoin(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
               .where(*where).order_by(*order).offset((query.page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1))
    found = [_row(row) for row in uow.session.execute(listing)]
    total = uow.session.scalar(select(func.count()).select_from(base.limit(COUNT_LIMIT).subquery())) or 0
    return CasePage(rows=found[:PAGE_SIZE], page=query.page, has_next=len(found) > PAGE_SIZE, total=total,
                    units=visible_units(uow, principal))


def _row(row: Any) -> CaseRow:
    applicant = row.applicant.get("name") if isinstance(row.applicant, dict) else None
    return CaseRow(id=row.id, file_id=row.file_id, reference_number=row.reference_number, title=row.title,
                   applicant=applicant if isinstance(applicant, str) else None, unit=row.owning_unit,
                   procedure=row.process_key, procedure_name=row.name, process_instance_id=row.process_instance_id,
                   state=row.state, overdue=bool(row.overdue), opened_at=row.created_at, closed_at=row.closed_at)


def visible_units(uow: UnitOfWork, principal: Principal) -> list[str]:
    """The owning units of files `principal` may see (to filter by)."""
    if not principal.is_admin:
        return sorted(principal.units)
    return list(uow.session.scalars(select(RecordFile.owning_unit).distinct().order_by(RecordFile.owning_unit)))


def steerable_instances(uow: UnitOfWork, principal: Principal,
                        instance_ids: Collection[uuid.UUID]) -> set[uuid.UUID] | None:
    """Of `instance_ids`, those driving a case `principal` may see; None (no restriction) for administrators."""
    if principal.is_admin:
        return None
    if not instance_ids:
        return set()
    query = (select(RecordCase.process_instance_id).join(RecordFile, RecordFile.id == RecordCase.file_id)
             .where(RecordCase.process_instance_id.in_(list(instance_ids)), visible_files(principal)))
    return {instance_id for instance_id in uow.session.scalars(query) if instance_id is not None}


def instances_with_incidents(uow: UnitOfWork, principal: Principal, limit: int = 1000) -> set[uuid.UUID] | None:
    """The instances with an open incident that `principal` may steer; None (all) for administrators."""
    if principal.is_admin:
        return None
    query = (select(RecordCase.process_instance_id).join(RecordFile, RecordFile.id == RecordCase.file_id)
             .where(visible_files(principal), RecordCase.process_instance_id.is_not(None), _open_incident())
             .limit(limit))
    return {instance_id for instance_id in uow.session.scalars(query) if instance_id is not None}


def cases_of_instances(uow: UnitOfWork, principal: Principal,
                       instance_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, tuple[uuid.UUID, str, str]]:
    """Instance id -> (case id, reference number, title) of the visible cases these instances drive."""
    if not instance_ids:
        return {}
    query = (select(RecordCase.process_instance_id, RecordCase.id, RecordFile.reference_number, RecordCase.title)
             .join(RecordFile, RecordFile.id == RecordCase.file_id)
             .where(RecordCase.process_instance_id.in_(list(instance_ids)), visible_files(principal)))
    return {row[0]: (row[1], row[2], row[3]) for row in uow.session.execute(query) if row[0] is not None}

