"""Supervisor statistics on SQLite and PostgreSQL: the shipped `allgemeine_anfrage` procedure, cases driven on the
FrozenClock with known times, then every figure of the dashboard checked — weeks, where cases wait, overdue tasks
after time moves, overdue cases against the model's targetDuration, lead time median/p90, workload, the heat per
activity — and the pages: role check, charts with tables, CSV for German Excel."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from core.bootstrap import Services
from core.clock import FrozenClock
from engine import stats
from engine.deploy import deploy
from engine.lifecycle import cancel_instance
from engine.workflow.parsing import SourceFile
from records.fileplan import import_plan, parse_plan_csv
from tests.bpmn.driver import (
    PLAN,
    advance,
    claim_as,
    complete_as,
    open_case,
    person,
    procedure_files,
    the_task,
)
from tests.web_helpers import page_client

KEY = "allgemeine_anfrage"
CLERK = person("bella", "buergerbuero")
EXPERT = person("fritz", "fachamt")
ASKED = {"name": "Erika Mustermann", "anliegen": "Wann ist das Bürgerbüro geöffnet?"}


def _start(services: Services, title: str) -> str:
    _case, instance = open_case(services, KEY, plan_code="01.10", unit="u1", title=title,
                                applicant={"kind": "person", "name": "Erika Mustermann"})
    return instance.id


def _capture(services: Services, instance_id: str) -> None:
    complete_as(services, CLERK, the_task(services, instance_id, "Task_erfassen").id, ASKED)


def _answer(services: Services, instance_id: str) -> None:
    complete_as(services, EXPERT, the_task(services, instance_id, "Task_beantworten").id, {"antwort": "8 bis 16 Uhr"})


def _office(services: Services, clock: FrozenClock) -> dict[str, str]:
    """t0 = Monday 2026-01-05 09:00 UTC (ISO week 2). Five cases answered after 2, 4, 6, 8 and 10 days (captured
    after 1 hour each), one waiting for its answer since t0, one cancelled on day 3, and on day 10 two new cases:
    one claimed by bella, one unclaimed. The clock ends at t0 + 10 days (Thursday, week 3)."""
    _deploy(services, None)  # version 1 without a target duration
    cases = {name: _start(services, name) for name in ("c1", "c2", "c3", "c4", "c5", "waiting", "cancelled")}
    clock.advance(timedelta(hours=1))
    for name in ("c1", "c2", "c3", "c4", "c5", "waiting"):
        _capture(services, cases[name])
    for day, name in enumerate(("c1", "c2", "c3", "c4", "c5"), start=1):
        clock.set(FrozenClock().now() + timedelta(days=2 * day))
        _answer(services, cases[name])
        if day == 1:
            clock.advance(timedelta(days=1))  # day 3
            with services.db.unit_of_work() as uow:
                cancel_instance(uow, services.engine, cases["cancelled"], actor="svenja", reason="Doppelt")
                uow.commit()
    cases["claimed"] = _start(services, "claimed")
    cases["unclaimed"] = _start(services, "unclaimed")
    claim_as(services, CLERK, the_task(services, cases["claimed"], "Task_erfassen").id)
    return cases


SHIPPED_TARGET = b'<camunda:property name="targetDuration" value="P21D" />'


def _deploy(services: Services, duration: str | None) -> list[int]:
    """Deploy the shipped procedure with its property targetDuration set to `duration` (None: left out)."""
    replacement = b"" if duration is None else SHIPPED_TARGET.replace(b"P21D", duration.encode())
    files = []
    for source in procedure_files("allgemeine-anfrage"):
        content = source.content
        if source.name.endswith(".bpmn"):
            assert SHIPPED_TARGET in content
            content = content.replace(SHIPPED_TARGET, replacement)
        files.append(SourceFile(source.name, content))
    with services.db.unit_of_work() as uow:
        import_plan(uow, parse_plan_csv(PLAN, "test plan"))
        result = deploy(uow, services.engine, files, deployed_by="test")
        uow.commit()
    assert [str(w) for w in result.warnings] == []
    return [p.version for p in result.processes if p.key == KEY]


def _with_target(services: Services, duration: str) -> None:
    """Deploy version 2 of the procedure with the process property targetDuration."""
    assert _deploy(services, duration) == [2]


def test_figures_of_a_procedure(services: Services, clock: FrozenClock) -> None:
    _office(services, clock)
    now = clock.now()
    with services.db.unit_of_work() as uow:
        proc = stats.procedure(uow, KEY)
        assert stats.case_counts(uow, KEY) == (3, 6)
        weeks = stats.weekly(uow, KEY, now)
        assert len(weeks) == 12 and weeks[-1].iso_week == 3 and weeks[-2].iso_week == 2
        assert [(w.started, w.closed, w.open_at_end) for w in weeks[-2:]] == [(7, 4, 3), (2, 2, 3)]
        assert all((w.started, w.closed, w.open_at_end) == (0, 0, 0) for w in weeks[:-2])
        assert [(c.key, c.label, c.count) for c in stats.waiting_by_state(uow, proc)] == [
            ("Task_erfassen", "Anfrage erfassen", 2), ("Task_beantworten", "Anfrage beantworten", 1)]
        assert stats.overdue_tasks(uow, KEY, now) == []
        lead = stats.lead_time(uow, KEY)
        assert lead.completed == 5
        assert lead.median_days == pytest.approx(6.0, abs=1e-4)
        assert lead.p90_days == pytest.approx(9.2, abs=1e-4)
        users, groups = stats.workload(uow, KEY, now)
        assert [(u.key, u.count, u.overdue) for u in users] == [("bella", 1, 0)]
        assert sorted((g.key, g.count) for g in groups) == [("buergerbuero", 1), ("fachamt", 1)]
        heat = {row.element_id: row for row in stats.activity_heat(uow, proc)}
        assert list(heat) == ["Task_erfassen", "Task_beantworten", "Script_ergebnis"]
        assert (heat["Task_erfassen"].waiting, heat["Task_erfassen"].completed_tasks) == (2, 6)
        assert heat["Task_erfassen"].average_days == pytest.approx(1 / 24, abs=1e-4)
        assert (heat["Task_beantworten"].waiting, heat["Task_beantworten"].completed_tasks) == (1, 5)
        assert heat["Task_beantworten"].average_days == pytest.approx(6 - 1 / 24, abs=1e-4)
        assert heat["Script_ergebnis"].average_days is None and heat["Script_ergebnis"].in_latest
        assert stats.target_of(proc.model, now) == stats.Target(None, None)
        [overview] = stats.procedure_overviews(uow, now)
        assert (overview.open_cases, overview.closed_cases, overview.overdue_tasks, overview.overdue_cases) == (
            3, 6, 0, None)

    # five days on (Tuesday 2026-01-20, week 4): both captures (due after 3 days) and the answer of the case
    # waiting since t0 (due after 14 days) are overdue
    advance(services, clock, timedelta(days=5))
    now = clock.now()
    with services.db.unit_of_work() as uow:
        assert [(c.key, c.count) for c in stats.overdue_tasks(uow, KEY, now)] == [
            ("Task_erfassen", 2), ("Task_beantworten", 1)]
        users, groups = stats.workload(uow, KEY, now)
        assert [(u.key, u.count, u.overdue) for u in users] == [("bella", 1, 1)]
        assert sorted((g.key, g.overdue) for g in groups) == [("buergerbuero", 1), ("fachamt", 1)]
        weeks = stats.weekly(uow, KEY, now)
        assert [(w.iso_week, w.started, w.closed, w.open_at_end) for w in weeks[-3:]] == [
            (2, 7, 4, 3), (3, 2, 2, 3), (4, 0, 0, 3)]
        assert stats.procedure_overviews(uow, now)[0].overdue_tasks == 3

    # a target duration of 12 days: only the case open since t0 (15 days) is late
    _with_target(services, "P12D")
    with services.db.unit_of_work() as uow:
        proc = stats.procedure(uow, KEY)
        target = stats.target_of(proc.model, now)
        assert (proc.version, target.text, target.cutoff) == (2, "P12D", now - timedelta(days=12))
        assert stats.overdue_cases(uow, KEY, target) == 1
        assert stats.procedure_overviews(uow, now)[0].overdue_cases == 1


def test_invalid_target_duration_gives_no_case_figure(services: Services, clock: FrozenClock) -> None:
    _deploy(services, None)  # version 1 without a target duration
    _start(services, "old")
    _with_target(services, "soon")
    with services.db.unit_of_work() as uow:
        proc = stats.procedure(uow, KEY)
        target = stats.target_of(proc.model, clock.now())
        assert target.text == "soon" and target.cutoff is None and target.error
        assert stats.overdue_cases(uow, KEY, target) is None
        assert stats.procedure_overviews(uow, clock.now())[0].overdue_cases is None
        with pytest.raises(stats.NotFound):
            stats.procedure(uow, "no_such_procedure")


@contextmanager
def _statements(services: Services) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(services.db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(services.db.engine, "before_cursor_execute", count)


def _dashboard_queries(services: Services, now: Any) -> int:
    with _statements(services) as seen, services.db.unit_of_work() as uow:
        proc = stats.procedure(uow, KEY)
        stats.procedure_overviews(uow, now)
        stats.weekly(uow, KEY, now)
        stats.waiting_by_state(uow, proc)
        stats.overdue_tasks(uow, KEY, now)
        stats.lead_time(uow, KEY)
        stats.workload(uow, KEY, now)
        stats.activity_heat(uow, proc)
    return len([s for s in seen if s.lstrip().upper().startswith("SELECT")])


def test_the_number_of_queries_does_not_grow_with_the_cases(services: Services, clock: FrozenClock) -> None:
    _deploy(services, None)  # version 1 without a target duration
    instance = _start(services, "a")
    _capture(services, instance)
    _answer(services, instance)
    _start(services, "b")
    few = _dashboard_queries(services, clock.now())
    for name in ("c", "d", "e", "f", "g", "h"):
        instance = _start(services, name)
        _capture(services, instance)
        if name > "e":
            _answer(services, instance)
    assert _dashboard_queries(services, clock.now()) == few


def _csv(body: bytes) -> list[list[str]]:
    assert body.startswith("\ufeff".encode())
    text = body.decode("utf-8")[1:]
    assert "\r\n" in text
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def test_pages_charts_tables_and_csv(services: Services, clock: FrozenClock) -> None:
    _office(services, clock)
    advance(services, clock, timedelta(days=5))
    caseworker = page_client(services, "carla", roles=("caseworker",), locale="en")
    for path in ("/supervisor/", f"/supervisor/procedures/{KEY}", f"/supervisor/procedures/{KEY}/weekly.csv",
                 f"/supervisor/procedures/{KEY}/diagram.bpmn"):
        assert caseworker.get(path).status_code == 403, path

    client = page_client(services, "svenja", roles=("supervisor",), locale="en")
    index = client.get("/supervisor/").get_data(as_text=True)
    assert f'href="/supervisor/procedures/{KEY}"' in index
    assert f'href="/supervisor/cases?procedure={KEY}"' in index
    assert 'data-figure="open">3<' in index and 'data-figure="overdue-tasks"><span class="overdue-label">3<' in index
    assert "no target duration" in index

    page = client.get(f"/supervisor/procedures/{KEY}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for chart in ("chart-weekly", "chart-backlog", "chart-states", "chart-overdue", "chart-users", "chart-groups"):
        assert f'id="{chart}" role="img" aria-labelledby="{chart}-title {chart}-desc"' in html, chart
    for table in ("summary", "weekly", "states", "overdue", "users", "groups", "activities"):
        assert f'id="table-{table}"' in html and f"/supervisor/procedures/{KEY}/{table}.csv" in html, table
    assert "data-heat='{&#34;Task_erfassen&#34;: 2, &#34;Task_beantworten&#34;: 1}'" in html
    assert "data-heat-level='{&#34;Task_erfassen&#34;: 5, &#34;Task_beantworten&#34;: 3}'" in html
    assert 'id="target-note"' in html and "sets no target duration" in html
    timed = client.get(f"/supervisor/procedures/{KEY}?heat=time").get_data(as_text=True)
    assert "data-heat='{&#34;Task_erfassen&#34;: 0.04, &#34;Task_beantworten&#34;: 5.96}'" in timed

    weekly = client.get(f"/supervisor/procedures/{KEY}/weekly.csv")
    assert weekly.mimetype == "text/csv"
    assert weekly.headers["Content-Disposition"].startswith(f'attachment; filename="{KEY}-weekly.csv"')
    rows = _csv(weekly.data)
    assert rows[0] == ["Week", "Week starting", "Started", "Closed", "Open at week's end"]
    assert rows[-3:] == [["2026-W02", "2026-01-05", "7", "4", "3"], ["2026-W03", "2026-01-12", "2", "2", "3"],
                         ["2026-W04", "2026-01-19", "0", "0", "3"]]
    activities = _csv(client.get(f"/supervisor/procedures/{KEY}/activities.csv").data)
    assert activities[1] == ["Anfrage erfassen", "Task_erfassen", "2", "6", "0,04", "yes"]
    assert activities[2] == ["Anfrage beantworten", "Task_beantworten", "1", "5", "5,96", "yes"]
    summary = dict(row for row in _csv(client.get(f"/supervisor/procedures/{KEY}/summary.csv").data)[1:])
    assert (summary["Median lead time (days)"], summary["90th percentile lead time (days)"]) == ("6", "9,2")
    assert summary["Overdue cases"] == "" and summary["Overdue tasks"] == "3"
    users = _csv(client.get(f"/supervisor/procedures/{KEY}/users.csv").data)
    assert users == [["User", "Open tasks", "Of them overdue"], ["bella", "1", "1"]]
    assert client.get(f"/supervisor/procedures/{KEY}/nonsense.csv").status_code == 404
    assert client.get("/supervisor/procedures/no_such_procedure").status_code == 404
    diagram = client.get(f"/supervisor/procedures/{KEY}/diagram.bpmn")
    assert diagram.mimetype == "application/xml" and b'id="Task_erfassen"' in diagram.data
