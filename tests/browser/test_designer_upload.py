"""A designer in the browser: uploads a model with an error, sees the report with the element marked in the
diagram, uploads the corrected file, finds the new version in the catalogue and opens it; axe on the catalogue,
the upload page with its report, the version page and a form preview in German and English."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.bpmn.driver import PROCEDURES, deploy_procedure
from tests.browser.axe import assert_accessible, save_screenshot
from tests.browser.conftest import LiveServer
from tests.browser.test_caseworker import _sign_in
from tests.web_helpers import ensure_user

ANFRAGE = PROCEDURES / "allgemeine-anfrage"


def _files(folder: Path, *, broken: bool) -> list[str]:
    folder.mkdir()
    model = (ANFRAGE / "allgemeine-anfrage.bpmn").read_bytes()
    if broken:
        model = model.replace(b'<bpmn:userTask id="Task_erfassen"',
                              b'<bpmn:userTask id="Task_erfassen" camunda:candidateUsers="dora"')
    (folder / "allgemeine-anfrage.bpmn").write_bytes(model)
    paths = [folder / "allgemeine-anfrage.bpmn"]
    for form in sorted((ANFRAGE / "forms").glob("*.json")):
        (folder / form.name).write_bytes(form.read_bytes())
        paths.append(folder / form.name)
    return [str(path) for path in paths]


def test_designer_fixes_a_rejected_upload_and_finds_the_new_version(page: Page, live_server: LiveServer,
                                                                    tmp_path: Path) -> None:
    services = live_server.services
    deploy_procedure(services, "gewerbeanmeldung")
    ensure_user(services, "dora", roles=("designer",), name="Dora Designer", locale="en")
    _sign_in(page, "dora")

    page.goto("/designer/")
    expect(page.locator("section[data-key=gewerbeanmeldung] tr[data-version='1']")).to_be_visible()
    assert_accessible(page, "procedure catalogue")

    page.goto("/designer/upload")
    assert_accessible(page, "upload page")
    page.set_input_files("#model-files", _files(tmp_path / "broken", broken=True))
    page.click("form.upload-form button[type=submit]")
    expect(page.locator("#upload-outcome")).to_have_attribute("data-outcome", "rejected")
    diagram = page.locator(".report-figure[data-file='allgemeine-anfrage.bpmn'] .report-diagram")
    expect(diagram).to_have_attribute("data-state", "rendered")
    expect(diagram).to_have_attribute("data-marked", "1")
    marked = page.locator(".report-diagram .djs-element.akte-problem-error[data-element-id='Task_erfassen']")
    expect(marked).to_have_count(1)
    row = page.locator("table.problems tr[data-element='Task_erfassen']").first
    line = next(number for number, text in enumerate((ANFRAGE / "allgemeine-anfrage.bpmn").read_text().splitlines(), 1)
                if 'id="Task_erfassen"' in text)
    expect(row.locator("td").nth(2)).to_have_text(str(line))
    row.locator("button.problem-focus").click()
    expect(diagram).to_have_attribute("data-focused", "Task_erfassen")
    expect(row).to_have_attribute("aria-current", "true")
    expect(page.locator(".report-diagram .akte-problem-focus[data-element-id='Task_erfassen']")).to_have_count(1)
    save_screenshot(page, "designer-upload-report")
    assert_accessible(page, "upload validation report")

    page.set_input_files("#model-files", _files(tmp_path / "fixed", broken=False))
    page.click("form.upload-form button[type=submit]")
    expect(page.locator("#upload-outcome")).to_have_attribute("data-outcome", "deployed")
    assert_accessible(page, "upload deployed")

    page.goto("/designer/")
    version = page.locator("section[data-key=allgemeine_anfrage] tr[data-version='1']")
    expect(version.locator(".running")).to_have_text("0")
    save_screenshot(page, "designer-catalogue")
    version.locator("th a").click()
    expect(page).to_have_url(live_server("/designer/processes/allgemeine_anfrage/1"))
    viewer = page.locator(".bpmn-diagram[data-state=rendered]")
    expect(viewer).to_have_attribute("data-import-warnings", "0")
    assert_accessible(page, "version page")

    page.goto("/designer/processes/gewerbeanmeldung/1")
    expect(page.locator("table.dmn tbody tr").first).to_be_visible()
    expect(page.locator(".bpmn-diagram[data-state=rendered]")).to_have_count(1)
    save_screenshot(page, "designer-version")
    assert_accessible(page, "version page with decision table")
    for language, label in (("de", "Eingang der Anzeige"), ("en", "Notification received on")):
        page.goto(f"/designer/processes/gewerbeanmeldung/1/forms/Task_erfassen?lang={language}")
        expect(page.locator(f"div[lang={language}] label[for=f-eingangsdatum]")).to_contain_text(label)
        assert_accessible(page, f"form preview ({language})")
    save_screenshot(page, "designer-form-preview-en")
