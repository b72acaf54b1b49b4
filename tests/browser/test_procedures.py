"""The shipped procedures in the browser: each model opens in bpmn-js without import warnings (valid DI, no
unknown elements), and the first form of each, the biggest forms akte ships, passes axe in German and English."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.bpmn.driver import deploy_procedure, open_case, open_tasks, shipped_procedures
from tests.browser.axe import assert_accessible, save_screenshot
from tests.browser.conftest import LiveServer
from tests.browser.test_caseworker import _sign_in
from tests.web_helpers import ensure_user

FIRST = {"allgemeine-anfrage": ("allgemeine_anfrage", "01.10"),
         "fuehrerscheinumtausch": ("fuehrerscheinumtausch", "36.30"),
         "gewerbeanmeldung": ("gewerbeanmeldung", "32.20"), "rechnungseingang": ("rechnungseingang", "20.30")}


@pytest.mark.parametrize("procedure", shipped_procedures())
def test_model_opens_in_bpmn_js_and_its_first_form_is_accessible(page: Page, live_server: LiveServer,
                                                                 procedure: str) -> None:
    services = live_server.services
    deploy_procedure(services, procedure)
    key, plan = FIRST[procedure]
    case, instance = open_case(services, key, plan_code=plan, unit="u1", title=f"Vorgang {procedure}",
                               applicant={"kind": "person", "name": "Erika Mustermann"})
    task = open_tasks(services, instance.id)[0]
    ensure_user(services, "amtsleitung", roles=("caseworker", "admin"), units=("u1",),
                groups=tuple(task.candidate_groups))
    _sign_in(page, "amtsleitung")

    page.goto(f"/cases/{case.id}")
    diagram = page.locator(".bpmn-diagram[data-state=rendered]")
    expect(diagram).to_have_attribute("data-import-warnings", "0")
    shapes = page.locator(".bpmn-diagram .djs-element.djs-shape").count()
    assert shapes >= 5, f"{procedure}: only {shapes} shapes drawn"
    save_screenshot(page, f"procedure-{procedure}")

    for language in ("de", "en"):
        page.goto(f"/tasks/{task.id}")
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.locator(f"main form[action='/tasks/{task.id}']")).to_be_visible()
        assert_accessible(page, f"{procedure} first task ({language})")
        if language == "de":
            save_screenshot(page, f"procedure-{procedure}-form")
            page.click("form.language-switch button")
