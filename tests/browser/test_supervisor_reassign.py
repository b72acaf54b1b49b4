"""A supervisor in the browser: the case list, a case's detail where a task is reassigned to a colleague with a
comment (which the history then shows), a bulk due-date change from the list, and the incidents page; axe on
every one of these pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from core.bootstrap import Services, bootstrap
from core.clock import FrozenClock, end_of_day
from core.migrate import upgrade
from core.settings import load_settings
from engine.handlers import HandlerRegistry
from tests.browser.axe import assert_accessible, save_screenshot
from tests.browser.conftest import LiveServer
from tests.browser.test_caseworker import _sign_in
from tests.integration.test_supervisor_actions import Register, incident_case, open_case, prepare
from tests.web_helpers import ensure_user


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def live_services(tmp_path: Path, clock: FrozenClock) -> Iterator[Services]:
    """As in conftest, with a clock the test moves (the incident needs its retries used up) and the flaky
    procedure's handler registered."""
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'akte.db'}", data_dir=tmp_path,
                             blob_url=f"file://{tmp_path / 'blobs'}")
    handlers = HandlerRegistry()
    handlers.register("test.register", Register())
    services = bootstrap(settings, clock=clock, handlers=handlers)
    upgrade(services.db)
    yield services
    services.db.dispose()


def test_supervisor_reassigns_a_task_and_sees_it_in_the_history(page: Page, live_server: LiveServer,
                                                                 clock: FrozenClock) -> None:
    services = live_server.services
    prepare(services)
    due = (clock.now() + timedelta(days=10)).date().isoformat()
    case = open_case(services, title="Umtausch Führerschein", applicant="Erika Mustermann", due=due)
    other = open_case(services, title="Zweiter Antrag", applicant="Max Muster", due=due)
    incident_case(services, clock, title="Registerabfrage")
    ensure_user(services, "ben", roles=("caseworker",), groups=("clerks",), units=("unit-a",), name="Ben Berger",
                locale="en")
    ensure_user(services, "sara", roles=("supervisor",), units=("unit-a",), name="Sara Aufsicht", locale="en")
    _sign_in(page, "sara")

    page.goto("/supervisor/cases")
    expect(page.locator("h1")).to_have_text("Cases")
    expect(page.locator("#case-table tbody tr")).to_have_count(3)
    assert_accessible(page, "supervisor case list")
    save_screenshot(page, "supervisor-cases")

    page.fill("#f-q", "Mustermann")
    page.click("form.filters button[type=submit]")
    expect(page.locator("#case-table tbody tr")).to_have_count(1)
    page.locator("#case-table tbody a", has_text=case.reference).click()
    expect(page).to_have_url(re.compile(f"/supervisor/cases/{case.case_id}$"))
    row = page.locator(f"#task-table tr[data-task-id='{case.tasks['work']}']")
    row.locator("summary").click()
    assert_accessible(page, "supervisor case detail")
    save_screenshot(page, "supervisor-case")

    row.locator("select[name=to]").select_option("user:ben")
    row.locator("form.supervisor-reassign input[name=comment]").fill("Urlaubsvertretung bis Freitag")
    row.locator("form.supervisor-reassign button[value=reassign]").click()
    expect(page.locator(".flash-area")).to_contain_text("1 of 1 task(s) changed.")
    expect(page.locator(f"#task-table tr[data-task-id='{case.tasks['work']}'] .task-holder")).to_have_text("ben")
    expect(page.locator("#case-history")).to_contain_text("task_reassigned")
    expect(page.locator("#case-history")).to_contain_text("Urlaubsvertretung bis Freitag")
    expect(page.locator("#supervision-log")).to_contain_text("Urlaubsvertretung bis Freitag")
    assert_accessible(page, "supervisor case detail after reassigning")

    page.goto("/supervisor/cases?procedure=supervised")  # bulk: a new due date for two tasks of two cases
    new_due = (clock.now() + timedelta(days=30)).date().isoformat()
    page.check(f"#bulk-tasks-{case.tasks['check']}")
    page.check(f"#bulk-tasks-{other.tasks['work']}")
    page.fill("#bulk-tasks-due", new_due)
    page.fill("#bulk-tasks-comment", "Stichtag verschoben")
    page.click("#bulk-tasks button[value=due]")
    expect(page.locator(".flash-area")).to_contain_text("2 of 2 task(s) changed.")
    expect(page).to_have_url(re.compile(r"procedure=supervised"))
    page.goto(f"/supervisor/cases/{other.case_id}")
    expect(page.locator(f"#task-table tr[data-task-id='{other.tasks['work']}'] .due time")).to_have_attribute(
        "datetime", end_of_day(date.fromisoformat(new_due)).isoformat())

    page.goto("/supervisor/incidents")
    expect(page.locator(".supervisor-incidents tbody tr")).to_have_count(1)
    expect(page.locator(".supervisor-error-message")).to_contain_text("register unreachable")
    page.locator(".supervisor-error summary").click()
    expect(page.locator(".supervisor-trace")).to_contain_text("Traceback")
    assert_accessible(page, "supervisor incidents")
    save_screenshot(page, "supervisor-incidents")
    page.fill("input[name=reason]", "Antrag zurückgezogen")
    page.click(".supervisor-cancel button[type=submit]")
    expect(page.locator(".flash-area")).to_contain_text("The process was cancelled.")
    expect(page.locator("#no-incidents")).to_be_visible()
