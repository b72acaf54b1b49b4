"""Smoke test of the browser set-up: chromium, the live server, vendored bpmn-js + js/diagram.js, axe-core."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask, Response
from playwright.sync_api import Page, expect

from tests.browser.axe import assert_accessible, save_screenshot

REPO = Path(__file__).resolve().parents[2]
WITH_DIAGRAM = REPO / "bpmn" / "allgemeine-anfrage" / "allgemeine-anfrage.bpmn"  # has BPMN DI (shapes)
WITHOUT_DIAGRAM = REPO / "tests" / "fixtures" / "models" / "two_step.bpmn"  # process only, nothing to draw
# what the app's pages send: no inline scripts or styles anywhere
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")

DIAGRAM_PAGE = """<!doctype html>
<html lang="de">
<head>
  <meta charset="utf-8">
  <title>Diagramm-Test – akte</title>
  <link rel="stylesheet" href="/static/vendor/bpmn-js/assets/diagram-js.css">
  <link rel="stylesheet" href="/static/vendor/bpmn-js/assets/bpmn-js.css">
  <link rel="stylesheet" href="/static/css/diagram.css">
  <script src="/static/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js" defer></script>
  <script src="/static/js/bpmn-common.js" defer></script>
  <script src="/static/js/diagram.js" defer></script>
</head>
<body>
  <main>
    <h1>Prozessdiagramm</h1>
    <figure>
      <div class="bpmn-diagram" id="diagram" role="img" aria-label="Prozessdiagramm" data-xml-url="/test/diagram.bpmn"
           data-active='["Task_beantworten"]'
           data-completed='["Start_anfrage", "Flow_1", "Task_erfassen", "Flow_2", "not_in_the_diagram"]'
           data-heat='{"Task_beantworten": 3}'></div>
      <figcaption>Allgemeine Anfrage: erledigt sind „Anfrage eingegangen“ und „Anfrage erfassen“,
        aktuell ist „Anfrage beantworten“.</figcaption>
    </figure>
    <h2>Modell ohne Diagramm</h2>
    <div class="bpmn-diagram" id="without-diagram" data-xml-url="/test/two_step.bpmn"
         data-error-message="Das Prozessdiagramm konnte nicht angezeigt werden."></div>
    <div class="bpmn-diagram" id="broken-state" data-xml-url="/test/diagram.bpmn" data-active="[Task_1"></div>
  </main>
</body>
</html>
"""


@pytest.fixture
def live_app(live_app: Flask) -> Flask:
    """The akte app plus a test page that uses the vendored bpmn-js and js/diagram.js under the pages' CSP."""

    def diagram_page() -> Response:
        return Response(DIAGRAM_PAGE, mimetype="text/html", headers={"Content-Security-Policy": CSP})

    def model(name: str) -> Response:
        path = {"diagram.bpmn": WITH_DIAGRAM, "two_step.bpmn": WITHOUT_DIAGRAM}[name]
        return Response(path.read_bytes(), mimetype="application/xml")

    live_app.add_url_rule("/test/diagram", view_func=diagram_page)
    live_app.add_url_rule("/test/<name>", view_func=model)
    return live_app


def test_health_page_in_the_browser(page: Page) -> None:
    response = page.goto("/health")
    assert response is not None and response.ok
    assert json.loads(page.locator("body").inner_text())["status"] == "ok"


def test_diagram_renders_with_state_markers_and_is_accessible(page: Page) -> None:
    page.goto("/test/diagram")
    diagram = page.locator("#diagram")
    expect(diagram).to_have_attribute("data-state", "rendered")
    expect(diagram).to_have_attribute("role", "group")  # was "img": the viewer adds focusable content
    expect(diagram.get_by_role("img", name="Prozessdiagramm")).to_have_count(1)  # the focusable canvas
    active = diagram.locator("svg .djs-element[data-element-id='Task_beantworten']")
    expect(active).to_contain_class("akte-active akte-heat")
    for completed in ("Start_anfrage", "Task_erfassen", "Flow_1"):
        expect(diagram.locator(f".djs-element[data-element-id='{completed}']")).to_contain_class("akte-completed")
    expect(diagram.locator(".akte-completed")).to_have_count(4)
    expect(diagram.locator(".akte-completed-badge")).to_have_count(2)
    expect(diagram.locator(".akte-heat-badge")).to_have_text("3")
    active_border = diagram.locator(".akte-active .djs-visual > :nth-child(1)").evaluate(
        "shape => getComputedStyle(shape).strokeWidth")
    assert active_border == "4px"

    without = page.locator("#without-diagram")
    expect(without).to_have_attribute("data-state", "failed")
    expect(without.get_by_role("status")).to_contain_text("Das Prozessdiagramm konnte nicht angezeigt werden.")

    expect(page.locator("#broken-state")).to_have_attribute("data-state", "failed")
    expect(page.locator("#broken-state")).to_contain_text("data-active is not valid JSON")

    save_screenshot(page, "smoke-diagram")
    assert_accessible(page, "the diagram test page")


def test_the_accessibility_check_reports_serious_violations(page: Page) -> None:
    page.set_content('<!doctype html><html lang="de"><title>Kaputt</title><main><h1>Formular</h1>'
                     '<input type="text" name="aktenzeichen"></main></html>')
    with pytest.raises(AssertionError, match=r"(?s)on the broken form .*- label \[critical\].*input"):
        assert_accessible(page, "the broken form")
