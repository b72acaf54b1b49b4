"""A caseworker's day in a real browser: sign in, claim from the group view, a form error, completion, the next
task for the right group, the case view — and another unit's user sees none of it. axe-core on every page."""

from __future__ import annotations

import io
import re
import uuid

from playwright.sync_api import Page, expect

from core.bootstrap import Services
from engine.deploy import deploy
from engine.tasks import list_tasks
from engine.workflow.parsing import SourceFile
from records.access import Principal
from records.documents import Upload, add_document
from tests.browser.axe import assert_accessible, save_screenshot
from tests.browser.conftest import LiveServer
from tests.conftest import MODELS
from tests.records_helpers import load_plan
from tests.web_helpers import PASSWORD, ensure_user
from web.casestart import start_case


def _office(services: Services) -> tuple[str, str]:
    """Two caseworkers of different units, a two-step procedure and one case of unit-a; returns (case, document)."""
    load_plan(services)
    with services.db.unit_of_work() as uow:
        deploy(uow, services.engine, [SourceFile(name, (MODELS / name).read_bytes())
                                      for name in ("two_step.bpmn", "capture-schema.json", "review-schema.json")])
        uow.commit()
    ensure_user(services, "anna", name="Anna Amt", units=("unit-a",), groups=("intake", "review"))
    ensure_user(services, "bernd", name="Bernd Bau", units=("unit-b",), groups=("other",))
    clerk = Principal("anna", frozenset({"unit-a"}))
    with services.db.unit_of_work() as uow:
        started = start_case(uow, services, clerk, title="Antrag Mustermann",
                             file={"plan_code": "32.10.05", "title": "Mustermann, Erika", "owning_unit": "unit-a"},
                             applicant={"kind": "person", "name": "Erika Mustermann"}, process_key="two_step")
        document = add_document(uow, services.records, clerk, Upload(io.BytesIO(b"Antragsschreiben\n"), "antrag.txt"),
                                case_id=started.case.id)
        uow.commit()
    return str(started.case.id), str(document.id)


def _sign_in(page: Page, login: str) -> None:
    page.goto("/sign-in")
    page.fill("#login", login)
    page.fill("#password", PASSWORD)
    page.click("form[action^='/sign-in'] button[type=submit]")


def test_a_caseworker_claims_fills_and_completes_a_task(page: Page, live_server: LiveServer) -> None:
    services = live_server.services
    case_id, _document = _office(services)
    page.goto("/sign-in")
    expect(page.locator("h1")).to_have_text("Anmelden")
    assert_accessible(page, "sign-in page")
    _sign_in(page, "anna")
    expect(page).to_have_url(re.compile(r"/inbox$"))
    page.click("a[href*='view=groups']")
    row = page.locator("#inbox-table tbody tr", has_text="Antrag erfassen")
    expect(row).to_contain_text("Erika Mustermann")
    assert_accessible(page, "inbox, group view")
    save_screenshot(page, "inbox")
    row.locator("button[name=action][value=claim]").click()  # htmx swaps the results in place
    expect(page.locator("#inbox-body [role=status]")).to_contain_text("1")
    page.click("a[href*='view=mine']")
    page.locator("#inbox-table tbody a", has_text="Antrag erfassen").click()
    expect(page.locator("h1")).to_contain_text("Antrag erfassen")
    assert_accessible(page, "task form")
    page.get_by_label("Antragsteller·in").fill("Erika Mustermann")
    page.get_by_label("Betrag").fill("-5")  # below the minimum of 0
    page.click("button[name=_save][value=complete]")
    amount = page.get_by_label("Betrag")
    expect(amount).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Antragsteller·in")).to_have_value("Erika Mustermann")  # input kept
    assert_accessible(page, "task form with an error")
    save_screenshot(page, "task-form")
    amount.fill("12.5")
    page.click("button[name=_save][value=complete]")
    expect(page).to_have_url(re.compile(r"/inbox$"))
    with services.db.unit_of_work() as uow:
        open_tasks = list_tasks(uow)
    assert [(t.name, t.candidate_groups) for t in open_tasks] == [("Antrag prüfen", ["review"])]
    page.click("a[href*='view=groups']")
    expect(page.locator("#inbox-table tbody")).to_contain_text("Antrag prüfen")
    page.goto(f"/cases/{case_id}")
    expect(page.locator("h1")).to_contain_text("Antrag Mustermann")
    expect(page.locator(".history")).to_contain_text("task_completed")
    assert_accessible(page, "case view")
    save_screenshot(page, "case-view")


def test_another_units_caseworker_gets_404_for_the_case(page: Page, live_server: LiveServer) -> None:
    services = live_server.services
    case_id, document_id = _office(services)
    with services.db.unit_of_work() as uow:
        task_id = list_tasks(uow)[0].id
    _sign_in(page, "bernd")
    expect(page).to_have_url(re.compile(r"/inbox$"))
    expect(page.locator("#inbox-table tbody")).not_to_contain_text("Antrag erfassen")
    for path in (f"/cases/{case_id}", f"/tasks/{task_id}", f"/cases/{case_id}/diagram.bpmn",
                 f"/api/v1/documents/{document_id}", f"/api/v1/documents/{document_id}/versions/1/content",
                 f"/api/v1/cases/{case_id}"):
        response = page.request.get(path)
        assert response.status in (403, 404), (path, response.status)
    page.goto(f"/cases/{case_id}")
    expect(page.locator("h1")).to_have_text("Nicht gefunden")
    assert_accessible(page, "not found page")
    assert uuid.UUID(case_id)
