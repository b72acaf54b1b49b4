"""Statistics for supervisors: how a procedure's cases come, wait, run late and end, aggregated in SQL.

Every figure is one or a few GROUP BY queries over `process_instance`, `human_task`, `human_task_entry`, `job` and
`message_subscription`; no query walks all instances in Python, so the numbers stay cheap at 100k instances. The
same statements run on SQLite and PostgreSQL: weeks are bucketed by comparing with week boundaries computed here
(a CASE over bound moments, so weeks follow the city's calendar, not the database's time zone), durations in
seconds use the one dialect-specific expression in `_seconds`, and percentiles read one or two sorted rows.

What the model says is read from the deployed BPMN (cached by its sha256): activity names and order, boundary
events (an instance waits at the task, not at its boundary timer) and the process property `targetDuration`
(ISO 8601 duration, e.g. P30D; camunda:properties or spiffworkflow:properties on the process), against which
open cases count as overdue. Without the property there is no case-overdue figure (`overdue_cases` is None).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, distinct, exists, extract, func, or_, select, union_all
from sqlalchemy.orm import Session

from core.db import UnitOfWork
from core.errors import NotFound
from engine.models import HumanTask, HumanTaskEntry, Job, MessageSubscription, ProcessDefinition, ProcessInstance
from engine.workflow.schedule import parse_iso_duration
from engine.workflow.xmlsafe import load_xml
from engine.workflow.xmlutil import BPMN_NS, local, process_properties

LOCAL_TIMEZONE = ZoneInfo("Europe/Berlin")  # weeks start on Monday 00:00 of the city's calendar
OPEN = ("running", "suspended")
CLOSED = ("completed", "cancelled")
WAITING_JOBS = ("timer", "service")  # `start` jobs (timer start events) belong to no instance
TARGET_PROPERTY = "targetDuration"
ACTIVITIES = ("task", "userTask", "serviceTask", "scriptTask", "businessRuleTask", "sendTask", "receiveTask",
              "manualTask", "subProcess", "callActivity", "intermediateCatchEvent", "intermediateThrowEvent")
DAY = 86400.0
NO_GROUP = ""  # the workload row of unassigned open tasks without a candidate group


@dataclass(frozen=True)
class ProcedureModel:
    """What the statistics need from one deployed version's BPMN."""

    names: dict[str, str]  # element id -> name (or the id when unnamed)
    activities: tuple[str, ...]  # activity ids in document order
    boundary: frozenset[str]  # boundary event ids
    target: str | None  # the process property targetDuration as written


@dataclass(frozen=True)
class Target:
    text: str | None  # as written in the model; None: the procedure sets no target duration
    cutoff: datetime | None  # open cases started before it are overdue; None when absent or invalid
    error: str | None = None  # why the text is not a valid ISO 8601 duration


@dataclass(frozen=True)
class ProcedureOverview:
    key: str
    name: str
    version: int
    open_cases: int
    closed_cases: int
    overdue_tasks: int
    overdue_cases: int | None  # None: the procedure sets no (valid) target duration


@dataclass(frozen=True)
class Week:
    start: date  # Monday
    iso_year: int
    iso_week: int
    started: int
    closed: int
    open_at_end: int  # open cases at the end of the week (for the current week: now)


@dataclass(frozen=True)
class Count:
    key: str  # element id, login or group ("" = no group)
    label: str
    count: int
    overdue: int = 0


@dataclass(frozen=True)
class LeadTime:
    completed: int
    median_days: float | None
    p90_days: float | None


@dataclass(frozen=True)
class ActivityHeat:
    element_id: str
    name: str
    waiting: int  # instances waiting there now
    completed_tasks: int  # completed human tasks the average is taken over
    average_days: float | None  # mean created -> completed of those tasks
    in_latest: bool  # drawn in the latest version's diagram


@dataclass(frozen=True)
class Procedure:
    key: str
    name: str
    version: int
    definition_id: int
    model: ProcedureModel


_MODELS: dict[tuple[str, str], ProcedureModel] = {}  # by (process key, sha256): models never change
_MAX_CACHED = 1024


def parse_model(xml: bytes, key: str) -> ProcedureModel:
    """Names, activities, boundary events and target duration of process `key` in a deployed BPMN document."""
    root = load_xml(f"{key}.bpmn", xml, max_bytes=len(xml) + 1)
    process = next((el for el in root.iter(f"{{{BPMN_NS}}}process") if el.get("id") == key), None)
    if process is None:
        return ProcedureModel({}, (), frozenset(), None)
    names: dict[str, str] = {}
    activities: list[str] = []
    boundary: set[str] = set()
    for element in process.iter():
        ident, kind = element.get("id"), local(element)
        if not ident or kind in ("sequenceFlow", "lane", "laneSet", "process"):
            continue
        names[ident] = (element.get("name") or "").strip() or ident
        if kind in ACTIVITIES:
            activities.append(ident)
        elif kind == "boundaryEvent":
            boundary.add(ident)
    target = process_properties(process).get(TARGET_PROPERTY, "").strip() or None
    return ProcedureModel(names, tuple(activities), frozenset(boundary), target)


def _models(session: Session, definitions: Sequence[tuple[int, str, str]]) -> dict[int, ProcedureModel]:
    """The parsed model of each (definition id, key, sha256), reading the XML only of models not cached."""
    known = {(key, sha): model for _ident, key, sha in definitions if (model := _MODELS.get((key, sha))) is not None}
    missing = [ident for ident, key, sha in definitions if (key, sha) not in known]
    if missing:
        rows = session.execute(select(ProcessDefinition.key, ProcessDefinition.sha256, ProcessDefinition.bpmn_xml)
                               .where(ProcessDefinition.id.in_(missing))).all()
        parsed = {(key, sha): parse_model(xml or b"", key) for key, sha, xml in rows}
        if len(_MODELS) + len(parsed) > _MAX_CACHED:
            _MODELS.clear()
        _MODELS.update(parsed)
        known.update(parsed)
    return {ident: known[(key, sha)] for ident, key, sha in definitions if (key, sha) in known}


def _pairs(rows: Any) -> dict[Any, int]:
    """{first column: second column} of a two-column result."""
    return {row[0]: int(row[1]) for row in rows}


def _latest(session: Session, key: str | None = None) -> list[Procedure]:
    query = (select(ProcessDefinition.id, ProcessDefinition.key, ProcessDefinition.version, ProcessDefinition.name,
                    ProcessDefinition.sha256).order_by(ProcessDefinition.key, ProcessDefinition.version))
    if key is not None:
        query = query.where(ProcessDefinition.key == key)
    latest = {row.key: row for row in session.execute(query)}
    models = _models(session, [(row.id, row.key, row.sha256) for row in latest.values()])
    return [Procedure(row.key, row.name, row.version, row.id, models[row.id]) for row in latest.values()]


def procedure(uow: UnitOfWork, key: str) -> Procedure:
    """The latest deployed version of procedure `key`; NotFound when it was never deployed."""
    found = _latest(uow.session, key)
    if not found:
        raise NotFound(f"procedure {key} is not deployed")
    return found[0]


def latest_diagram(uow: UnitOfWork, key: str) -> bytes:
    """The BPMN XML of the procedure's latest version."""
    xml = uow.session.scalar(select(ProcessDefinition.bpmn_xml).where(ProcessDefinition.key == key)
                             .order_by(ProcessDefinition.version.desc()).limit(1))
    if xml is None:
        raise NotFound(f"procedure {key} is not deployed")
    return bytes(xml)


def target_of(model: ProcedureModel, now: datetime) -> Target:
    """The target duration of a model and the start moment before which an open case is overdue at `now`."""
    if model.target is None:
        return Target(None, None)
    try:
        span = parse_iso_duration(model.target.upper(), now) - now
    except Exception as exc:  # SpiffWorkflow raises plain exceptions for malformed durations
        return Target(model.target, None, f"not an ISO 8601 duration: {exc}")
    if span <= timedelta(0):
        return Target(model.target, None, "the duration must be positive")
    return Target(model.target, now - span)


def procedure_overviews(uow: UnitOfWork, now: datetime) -> list[ProcedureOverview]:
    """Every deployed procedure with its open, closed and overdue counts (a handful of queries in all)."""
    session = uow.session
    latest = _latest(session)
    by_status: dict[tuple[str, str], int] = {
        (key, status): count for key, status, count in session.execute(
            select(ProcessInstance.process_key, ProcessInstance.status, func.count())
            .group_by(ProcessInstance.process_key, ProcessInstance.status))}
    overdue_tasks = _pairs(session.execute(
        select(HumanTask.process_key, func.count()).where(HumanTask.status == "open", HumanTask.due_at < now)
        .group_by(HumanTask.process_key)))
    cutoffs = {p.key: cutoff for p in latest if (cutoff := target_of(p.model, now).cutoff) is not None}
    late: dict[str, int] = {}
    if cutoffs:
        late = _pairs(session.execute(
            select(ProcessInstance.process_key, func.count())
            .where(ProcessInstance.status.in_(OPEN),
                   or_(*[and_(ProcessInstance.process_key == key, ProcessInstance.created_at < cutoff)
                         for key, cutoff in cutoffs.items()]))
            .group_by(ProcessInstance.process_key)))
    return [ProcedureOverview(
        p.key, p.name, p.version, sum(by_status.get((p.key, s), 0) for s in OPEN),
        sum(by_status.get((p.key, s), 0) for s in CLOSED), overdue_tasks.get(p.key, 0),
        late.get(p.key, 0) if p.key in cutoffs else None) for p in latest]


def week_starts(now: datetime, weeks: int, tz: tzinfo = LOCAL_TIMEZONE) -> list[date]:
    """The Mondays of the last `weeks` calendar weeks up to the one holding `now`, oldest first."""
    today = now.astimezone(tz).date()
    monday = today - timedelta(days=today.weekday())
    return [monday - timedelta(weeks=weeks - 1 - index) for index in range(weeks)]


def _moment(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(), tz).astimezone(UTC)


def _bucketed(session: Session, column: Any, bounds: list[datetime], *conditions: Any) -> dict[int, int]:
    """How many rows fall into each [bounds[i], bounds[i+1]) (grouped in SQL over a CASE of the boundaries)."""
    bucket = case(*[(column >= bounds[index], index) for index in reversed(range(len(bounds) - 1))])
    inner = (select(bucket.label("bucket")).where(column >= bounds[0], column < bounds[-1], *conditions)
             .subquery())  # grouped outside: PostgreSQL cannot match a GROUP BY expression with bound values
    return {int(index): count for index, count in session.execute(
        select(inner.c.bucket, func.count()).group_by(inner.c.bucket))}


def weekly(uow: UnitOfWork, key: str, now: datetime, *, weeks: int = 12, tz: tzinfo = LOCAL_TIMEZONE) -> list[Week]:
    """Cases started and closed per calendar week, and the open cases at each week's end, the last `weeks`."""
    session = uow.session
    starts = week_starts(now, weeks, tz)
    bounds = [_moment(day, tz) for day in starts] + [_moment(starts[-1] + timedelta(days=7), tz)]
    mine = ProcessInstance.process_key == key
    started = _bucketed(session, ProcessInstance.created_at, bounds, mine)
    closed = _bucketed(session, ProcessInstance.ended_at, bounds, mine, ProcessInstance.status.in_(CLOSED))
    ends = bounds[1:]  # the current week's end is still ahead: what is open at it is what is open now
    open_at = session.execute(select(*[
        func.coalesce(func.sum(case((and_(ProcessInstance.created_at < end,
                                          or_(ProcessInstance.ended_at.is_(None), ProcessInstance.ended_at >= end)),
                                     1), else_=0)), 0) for end in ends]).where(mine)).one()
    return [Week(day, day.isocalendar()[0], day.isocalendar()[1], started.get(index, 0), closed.get(index, 0),
                 int(open_at[index])) for index, day in enumerate(starts)]


def case_counts(uow: UnitOfWork, key: str) -> tuple[int, int]:
    """(open, closed) cases of the procedure."""
    counts = _pairs(uow.session.execute(select(ProcessInstance.status, func.count())
                                      .where(ProcessInstance.process_key == key)
                                      .group_by(ProcessInstance.status)))
    return sum(counts.get(s, 0) for s in OPEN), sum(counts.get(s, 0) for s in CLOSED)


def _open_instance(key: str) -> ColumnElement[bool]:
    return and_(ProcessInstance.process_key == key, ProcessInstance.status.in_(OPEN))


def waiting(uow: UnitOfWork, key: str) -> dict[str, int]:
    """Per element id, how many open cases wait there now: open user tasks, timers and service calls, message
    catches and receive tasks (boundary events are left to the caller: `waiting_by_state` drops them)."""
    tasks = select(HumanTask.element_id.label("element_id"), HumanTask.instance_id.label("instance_id")).where(
        HumanTask.process_key == key, HumanTask.status == "open")
    jobs = (select(Job.element_id, Job.instance_id).join(ProcessInstance, Job.instance_id == ProcessInstance.id)
            .where(_open_instance(key), Job.kind.in_(WAITING_JOBS)))
    catches = (select(MessageSubscription.element_id, MessageSubscription.instance_id)
               .join(ProcessInstance, MessageSubscription.instance_id == ProcessInstance.id)
               .where(_open_instance(key)))
    places = union_all(tasks, jobs, catches).subquery()
    return _pairs(uow.session.execute(select(places.c.element_id, func.count(distinct(places.c.instance_id)))
                                    .group_by(places.c.element_id)))


def _names_and_boundaries(session: Session, key: str, latest: ProcedureModel) -> tuple[dict[str, str], set[str]]:
    """Element names (the latest version's win) and boundary event ids over every version of the procedure."""
    versions = session.execute(select(ProcessDefinition.id, ProcessDefinition.key, ProcessDefinition.sha256)
                               .where(ProcessDefinition.key == key)).all()
    names: dict[str, str] = {}
    boundary: set[str] = set()
    for model in _models(session, versions).values():
        names.update(model.names)
        boundary.update(model.boundary)
    return names | latest.names, boundary


def waiting_by_state(uow: UnitOfWork, proc: Procedure) -> list[Count]:
    """Where open cases wait now, by element (most cases first); boundary events are not states."""
    names, boundary = _names_and_boundaries(uow.session, proc.key, proc.model)
    rows = [Count(element, names.get(element, element), count)
            for element, count in waiting(uow, proc.key).items() if element not in boundary]
    return sorted(rows, key=lambda row: (-row.count, row.label))


def overdue_tasks(uow: UnitOfWork, key: str, now: datetime) -> list[Count]:
    """Open tasks past their due date, by activity (most first)."""
    rows = uow.session.execute(
        select(HumanTask.element_id, func.max(HumanTask.name), func.count())
        .where(HumanTask.process_key == key, HumanTask.status == "open", HumanTask.due_at < now)
        .group_by(HumanTask.element_id))
    return sorted((Count(element, name, count) for element, name, count in rows),
                  key=lambda row: (-row.count, row.label))


def overdue_cases(uow: UnitOfWork, key: str, target: Target) -> int | None:
    """Open cases started before the target's cutoff; None without a (valid) target duration."""
    if target.cutoff is None:
        return None
    return int(uow.session.scalar(select(func.count()).where(_open_instance(key),
                                                             ProcessInstance.created_at < target.cutoff)) or 0)


def _seconds(session: Session, start: Any, end: Any) -> ColumnElement[Any]:
    """`end - start` in seconds, in the database's own arithmetic."""
    if session.get_bind().dialect.name == "postgresql":
        return extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * DAY


def lead_time(uow: UnitOfWork, key: str) -> LeadTime:
    """Median and 90th percentile (linear interpolation) of start -> end of the completed cases, in days."""
    session = uow.session
    done = (ProcessInstance.process_key == key, ProcessInstance.status == "completed",
            ProcessInstance.ended_at.is_not(None))
    total = int(session.scalar(select(func.count()).where(*done)) or 0)
    if total == 0:
        return LeadTime(0, None, None)
    seconds = _seconds(session, ProcessInstance.created_at, ProcessInstance.ended_at)

    def percentile(share: float) -> float:
        position = (total - 1) * share
        below = math.floor(position)
        values = [float(v) for v in session.scalars(select(seconds).where(*done).order_by(seconds)
                                                    .offset(below).limit(2))]
        upper = values[1] if len(values) > 1 else values[0]
        return (values[0] + (upper - values[0]) * (position - below)) / DAY

    return LeadTime(total, percentile(0.5), percentile(0.9))


def workload(uow: UnitOfWork, key: str, now: datetime) -> tuple[list[Count], list[Count]]:
    """Open tasks per assignee and open unassigned tasks per candidate group (with how many are overdue); a task
    with several groups counts for each; unassigned tasks without a group are the group row `NO_GROUP`."""
    session = uow.session
    late = func.sum(case((HumanTaskEntry.due_sort < now, 1), else_=0))
    rows = session.execute(select(HumanTaskEntry.holder, func.count(), late)
                           .where(HumanTaskEntry.process_key == key, HumanTaskEntry.field == "")
                           .group_by(HumanTaskEntry.holder))
    users: list[Count] = []
    groups: list[Count] = []
    for holder, count, overdue in rows:
        kind, _sep, name = holder.partition(":")
        (users if kind == "u" else groups).append(Count(name, name, int(count), int(overdue or 0)))
    orphan = session.execute(
        select(func.count(), func.sum(case((HumanTask.due_at < now, 1), else_=0)))
        .where(HumanTask.process_key == key, HumanTask.status == "open", HumanTask.assignee.is_(None),
               ~exists().where(HumanTaskEntry.task_id == HumanTask.id))).one()
    if orphan[0]:
        groups.append(Count(NO_GROUP, NO_GROUP, int(orphan[0]), int(orphan[1] or 0)))

    def order(rows: list[Count]) -> list[Count]:
        return sorted(rows, key=lambda row: (-row.count, row.label))

    return order(users), order(groups)


def activity_heat(uow: UnitOfWork, proc: Procedure) -> list[ActivityHeat]:
    """Per activity of the latest version (in model order, then any older-version activity with data): cases
    waiting there now and the mean time its completed human tasks were open."""
    session = uow.session
    names, boundary = _names_and_boundaries(session, proc.key, proc.model)
    now_waiting = {element: count for element, count in waiting(uow, proc.key).items() if element not in boundary}
    seconds = _seconds(session, HumanTask.created_at, HumanTask.completed_at)
    spent = {element: (int(count), float(mean) / DAY if mean is not None else None)
             for element, count, mean in session.execute(
                 select(HumanTask.element_id, func.count(), func.avg(seconds))
                 .where(HumanTask.process_key == proc.key, HumanTask.status == "completed",
                        HumanTask.completed_at.is_not(None))
                 .group_by(HumanTask.element_id))}
    order = list(proc.model.activities)
    order += sorted((set(now_waiting) | set(spent)) - set(order))
    return [ActivityHeat(element, names.get(element, element), now_waiting.get(element, 0),
                         spent.get(element, (0, None))[0], spent.get(element, (0, None))[1],
                         element in proc.model.names) for element in order]
