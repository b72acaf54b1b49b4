"""Supervisor pages: the procedure overview and a dashboard per procedure (routes on the `supervisor` blueprint).

`/supervisor/` lists every deployed procedure with open, closed and overdue counts. `/supervisor/procedures/<key>`
shows, as SVG charts each with the same numbers in a table: cases started and closed per week and open at each
week's end, where open cases wait now, overdue tasks by activity, workload per user and per group; key figures
(overdue cases against the model's `targetDuration`, median and p90 lead time); and the heatmap on the latest
version's diagram (cases waiting per activity, or the mean time its tasks were open) with the same as a table.

CSV export: `/supervisor/procedures/<key>/<table>.csv` for every table, made for German Excel: UTF-8 with a byte
order mark (so umlauts survive a double-click), `;` between fields, decimal comma, CRLF line ends, dates as ISO
YYYY-MM-DD; text cells starting with = + - @ get a leading apostrophe (no formula injection).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import urlencode

from flask import Response, render_template, request
from flask_babel import format_date, format_decimal
from flask_babel import gettext as _
from markupsafe import Markup

from core.db import UnitOfWork
from core.errors import NotFound
from engine import stats
from web.api.v1_content import content_disposition
from web.charts import Series, bar_chart, column_chart, line_chart
from web.people import requires_role
from web.services import services
from web.ui.supervisor import bp

Cell = str | int | float | date | None
HEAT_LEVELS = 5
HEAT_MEASURES = ("waiting", "time")


@dataclass(frozen=True)
class Table:
    name: str  # the CSV's name: /supervisor/procedures/<key>/<name>.csv
    caption: str
    columns: tuple[str, ...]
    rows: list[tuple[Cell, ...]]
    charts: list[Markup] = field(default_factory=list)


def html_number(value: float) -> str:
    return str(format_decimal(round(value, 2), format="#,##0.##"))


def html_cell(value: Cell) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return html_number(value)
    if isinstance(value, date):
        return str(format_date(value, "short"))
    return value


def _days(value: float | None) -> float | None:
    return round(value, 2) if value is not None else None


def weekly_table(uow: UnitOfWork, proc: stats.Procedure, now: datetime) -> Table:
    weeks = stats.weekly(uow, proc.key, now)
    labels = [_("W%(week)02d", week=week.iso_week) for week in weeks]
    started, closed = Series(_("Started"), [w.started for w in weeks]), Series(_("Closed"), [w.closed for w in weeks])
    backlog = Series(_("Open at week's end"), [w.open_at_end for w in weeks])
    total_started, total_closed = sum(started.values), sum(closed.values)
    charts = [
        column_chart("chart-weekly", _("Cases started and closed per week"),
                     _("Last %(weeks)d calendar weeks: %(started)d cases started, %(closed)d closed.",
                       weeks=len(weeks), started=total_started, closed=total_closed),
                     labels, [started, closed], empty_text=_("No cases in these weeks."), fmt=html_number),
        line_chart("chart-backlog", _("Open cases at the end of each week"),
                   _("Open cases now: %(count)d.", count=weeks[-1].open_at_end if weeks else 0),
                   labels, [backlog], empty_text=_("No open cases in these weeks."), fmt=html_number),
    ]
    rows: list[tuple[Cell, ...]] = [(f"{w.iso_year}-W{w.iso_week:02d}", w.start, w.started, w.closed, w.open_at_end)
                                    for w in weeks]
    return Table("weekly", _("Cases per calendar week"),
                 (_("Week"), _("Week starting"), _("Started"), _("Closed"), _("Open at week's end")), rows, charts)


def _counts_chart(chart_id: str, title: str, description: str, rows: list[stats.Count], empty: str) -> Markup:
    return bar_chart(chart_id, title, description, [(row.label or _("(no group)"), row.count) for row in rows],
                     empty_text=empty, fmt=html_number)


def states_table(uow: UnitOfWork, proc: stats.Procedure, now: datetime) -> Table:
    rows = stats.waiting_by_state(uow, proc)
    title = _("Open cases by where they wait")
    chart = _counts_chart("chart-states", title, _("%(count)d places where open cases wait now.", count=len(rows)),
                          rows, _("No open cases."))
    return Table("states", title, (_("Waiting at"), _("Element"), _("Open cases")),
                 [(row.label, row.key, row.count) for row in rows], [chart])


def overdue_table(uow: UnitOfWork, proc: stats.Procedure, now: datetime) -> Table:
    rows = stats.overdue_tasks(uow, proc.key, now)
    title = _("Overdue tasks by activity")
    chart = _counts_chart("chart-overdue", title, _("%(count)d open tasks are past their due date.",
                                                      count=sum(row.count for row in rows)), rows,
                          _("No overdue tasks."))
    return Table("overdue", title, (_("Activity"), _("Element"), _("Overdue tasks")),
                 [(row.label, row.key, row.count) for row in rows], [chart])


def _workload_table(name: str, rows: list[stats.Count], chart: tuple[str, str, str], caption: str,
                    holder: str) -> Table:
    """Open tasks (and how many are overdue) per holder; `chart` is (title, description, text when empty)."""
    title, description, empty = chart
    return Table(name, caption, (holder, _("Open tasks"), _("Of them overdue")),
                 [(row.label or _("(no group)"), row.count, row.overdue) for row in rows],
                 [_counts_chart(f"chart-{name}", title, description, rows, empty)])


def users_table(uow: UnitOfWork, proc: stats.Procedure, now: datetime) -> Table:
    users, _groups = stats.workload(uow, proc.key, now)
    chart = (_("Workload per user"), _("Open tasks assigned to %(count)d people.", count=len(users)),
             _("No assigned open tasks."))
    return _workload_table("users", users, chart, _("Open tasks per assignee"), _("User"))


def groups_table(uow: UnitOfWork, proc: stats.Procedure, now: datetime) -> Table:
    _users, groups = stats.workload(uow, proc.key, now)
    chart = (_("Workload per group"), _("Unassigned open tasks for %(count)d groups.", count=len(groups)),
             _("No unassigned open tasks."))
    return _workload_table("groups", groups, chart, _("Unassigned open tasks per candidate group"), _("Group"))


def activities_table(uow: UnitOfWork, proc: stats.Procedure, now: datetime) -> Table:
    return activities_of(stats.activity_heat(uow, proc))


def activities_of(rows: list[stats.ActivityHeat]) -> Table:
    return Table("activities", _("Activities: cases waiting now and mean time spent"),
                 (_("Activity"), _("Element"), _("Waiting now"), _("Completed tasks"), _("Mean time open (days)"),
                  _("In the latest version")),
                 [(r.name, r.element_id, r.waiting, r.completed_tasks, _days(r.average_days),
                   _("yes") if r.in_latest else _("no")) for r in rows])


def summary_table(uow: UnitOfWork, proc: stats.Procedure, now: datetime) -> Table:
    open_cases, closed_cases = stats.case_counts(uow, proc.key)
    target = stats.target_of(proc.model, now)
    lead = stats.lead_time(uow, proc.key)
    overdue_tasks = sum(row.count for row in stats.overdue_tasks(uow, proc.key, now))
    rows: list[tuple[Cell, ...]] = [
        (_("Open cases"), open_cases), (_("Closed cases"), closed_cases), (_("Overdue tasks"), overdue_tasks),
        (_("Target duration"), target.text), (_("Overdue cases"), stats.overdue_cases(uow, proc.key, target)),
        (_("Completed cases (lead time basis)"), lead.completed),
        (_("Median lead time (days)"), _days(lead.median_days)), (_("90th percentile lead time (days)"),
                                                                   _days(lead.p90_days))]
    return Table("summary", _("Key figures"), (_("Figure"), _("Value")), rows)


TABLES: dict[str, Callable[[UnitOfWork, stats.Procedure, datetime], Table]] = {
    "summary": summary_table, "weekly": weekly_table, "states": states_table, "overdue": overdue_table,
    "users": users_table, "groups": groups_table, "activities": activities_table}


def heat_levels(values: dict[str, float]) -> dict[str, int]:
    """1..HEAT_LEVELS per element, relative to the highest value (elements at 0 get none)."""
    top = max(values.values(), default=0)
    return {key: min(HEAT_LEVELS, max(1, math.ceil(value / top * HEAT_LEVELS)))
            for key, value in values.items() if value > 0}


def heat(activities: list[stats.ActivityHeat], measure: str) -> dict[str, float]:
    """The heatmap's value per element drawn in the latest diagram: cases waiting, or mean days open."""
    if measure == "time":
        return {a.element_id: round(a.average_days, 2) for a in activities
                if a.in_latest and a.average_days is not None and a.average_days > 0}
    return {a.element_id: a.waiting for a in activities if a.in_latest and a.waiting > 0}


@bp.get("/")
@requires_role("supervisor")
def index() -> str:
    svc = services()
    with svc.db.unit_of_work() as uow:
        overviews = stats.procedure_overviews(uow, svc.clock.now())
    return render_template("supervisor/index.html", overviews=overviews, number=html_number)


@bp.get("/procedures/<key>")
@requires_role("supervisor")
def procedure(key: str) -> str:
    svc = services()
    now = svc.clock.now()
    measure = request.args.get("heat", "waiting")
    measure = measure if measure in HEAT_MEASURES else "waiting"
    with svc.db.unit_of_work() as uow:
        proc = stats.procedure(uow, key)
        activities = stats.activity_heat(uow, proc)
        tables = {name: build(uow, proc, now) for name, build in TABLES.items() if name != "activities"}
        tables["activities"] = activities_of(activities)
        target = stats.target_of(proc.model, now)
    values = heat(activities, measure)
    return render_template(
        "supervisor/procedure.html", proc=proc, tables=tables, target=target, now=now, measure=measure,
        heat_values=json.dumps(values), heat_levels=json.dumps(heat_levels(values)), cell=html_cell,
        cases_url="/supervisor/cases?" + urlencode({"procedure": proc.key}))


@bp.get("/procedures/<key>/diagram.bpmn")
@requires_role("supervisor")
def procedure_diagram(key: str) -> Response:
    with services().db.unit_of_work() as uow:
        xml = stats.latest_diagram(uow, key)
    return Response(xml, mimetype="application/xml")


@bp.get("/procedures/<key>/<name>.csv")
@requires_role("supervisor")
def procedure_csv(key: str, name: str) -> Response:
    build = TABLES.get(name)
    if build is None:
        raise NotFound(f"no table {name}; there are {', '.join(TABLES)}")
    svc = services()
    with svc.db.unit_of_work() as uow:
        table = build(uow, stats.procedure(uow, key), svc.clock.now())
    return Response(excel_csv(table), mimetype="text/csv",
                    headers={"Content-Disposition": content_disposition("attachment", f"{key}-{name}.csv")})


def csv_cell(value: Cell) -> str:
    """A cell as German Excel reads it: decimal comma, ISO dates, no formulas."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return (f"{value:.2f}".rstrip("0").rstrip(".") or "0").replace(".", ",")
    if isinstance(value, date):
        return value.isoformat()
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def excel_csv(table: Table) -> bytes:
    """UTF-8 with BOM, `;` separated, CRLF line ends (see the module docstring)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(table.columns)
    writer.writerows([csv_cell(value) for value in row] for row in table.rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")
