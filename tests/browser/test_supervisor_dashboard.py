"""The supervisor's dashboard in the browser, on the demo office (every shipped procedure deployed, the demo cases
of one played): the overview lists the procedures, a procedure's dashboard draws its charts with tables and the
heatmap on its diagram (coloured by intensity), and both pages pass axe."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.bpmn.driver import deploy_procedure, shipped_procedures
from tests.browser.axe import assert_accessible, save_screenshot
from tests.browser.conftest import LiveServer
from web.demo import DEMO_PASSWORD, load_demo
from web.demo.scenarios import all_cases

KEY = "gewerbeanmeldung"


def test_supervisor_sees_the_dashboard_and_the_heatmap(page: Page, live_server: LiveServer) -> None:
    services = live_server.services
    for name in shipped_procedures():
        deploy_procedure(services, name)
    # the demo office's cases of this procedure (all of them take a minute to play; the figures need only these)
    loaded = load_demo(services, cases=[case for case in all_cases() if case.process_key == KEY])
    assert loaded.skipped is None and loaded.cases_created > 10

    page.goto("/sign-in")
    page.fill("#login", "svenja")
    page.fill("#password", DEMO_PASSWORD)
    page.click("form[action^='/sign-in'] button[type=submit]")
    page.click(".nav a[href='/supervisor/']")

    overview = page.locator("#procedure-overview tbody tr")
    expect(overview).to_have_count(len(shipped_procedures()))
    row = page.locator(f"#procedure-overview tr[data-key='{KEY}']")
    assert int(row.locator("[data-figure=open]").inner_text()) > 0
    assert_accessible(page, "supervisor overview")
    save_screenshot(page, "supervisor-overview")

    row.locator(f"a[href='/supervisor/procedures/{KEY}']").click()
    expect(page).to_have_url(re.compile(f"/supervisor/procedures/{KEY}$"))
    for chart in ("chart-weekly", "chart-backlog", "chart-states", "chart-overdue", "chart-users", "chart-groups"):
        expect(page.locator(f"svg#{chart}[role=img]")).to_be_visible()
    assert page.locator("svg#chart-weekly rect.bar").count() == 24  # 12 weeks, started and closed
    assert page.locator("svg#chart-states rect.bar").count() >= 2
    assert page.locator("#table-weekly tbody tr").count() == 12
    assert page.locator("a[href$='/weekly.csv']").count() == 1

    diagram = page.locator(".heatmap-diagram[data-state=rendered][data-heat-coloured=true]")
    expect(diagram).to_have_attribute("data-import-warnings", "0")
    assert page.locator(".heatmap-diagram .akte-heat-badge").count() >= 2
    assert page.locator(".heatmap-diagram .djs-element[class*='akte-heat-level-']").count() >= 2
    assert page.locator(".heatmap-diagram .djs-element.akte-heat-level-5").count() >= 1  # the busiest activity
    waiting = page.locator("#table-activities tbody tr").first
    expect(waiting).to_be_visible()
    assert_accessible(page, "supervisor procedure dashboard")
    save_screenshot(page, "supervisor-dashboard")

    page.click("#heatmap a[href*='heat=time']")
    expect(page.locator("#heatmap a[aria-current=page]")).to_have_attribute("href", re.compile("heat=time"))
    expect(page.locator(".heatmap-diagram[data-state=rendered][data-heat-coloured=true]")).to_have_count(1)
    assert page.locator(".heatmap-diagram .akte-heat-badge").count() >= 1
