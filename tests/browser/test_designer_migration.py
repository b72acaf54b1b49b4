"""The migration page in the browser: a designer checks the dry run of version 1 -> 2, fills in a rename, and
migrates the instances that can move; the page passes axe before and after, in German and English."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from engine.instances import get_instance
from tests.browser.axe import assert_accessible, save_screenshot
from tests.browser.conftest import LiveServer
from tests.browser.test_caseworker import _sign_in
from tests.helpers import deploy_models, start
from tests.web_helpers import ensure_user


def test_a_designer_migrates_instances_after_a_dry_run(page: Page, live_server: LiveServer) -> None:
    services = live_server.services
    deploy_models(services, "migrate_v1.bpmn")
    review = start(services, "migrate", {"route": "a"}, business_key="MIG-review")
    renamed = start(services, "migrate", {"route": "b"}, business_key="MIG-renamed")
    removed = start(services, "migrate", {"route": "c"}, business_key="MIG-removed")
    deploy_models(services, "migrate_v2.bpmn")
    ensure_user(services, "dora", roles=("designer",))
    _sign_in(page, "dora")

    page.goto("/designer/processes/migrate/migrate?from=1&to=2")
    plan = page.locator("#migration-plan")
    expect(plan.locator(f"tr[data-instance='{removed.id}']")).to_have_attribute("data-can-move", "no")
    expect(plan.locator(f"tr[data-instance='{renamed.id}']")).to_have_attribute("data-can-move", "yes")
    assert_accessible(page, "migration dry run (de)")

    page.get_by_label("assess", exact=False).fill("")  # refuse the suggested rename: the dry run says why
    page.locator("form.filters button[type=submit]").click()
    expect(plan.locator(f"tr[data-instance='{renamed.id}']")).to_have_attribute("data-can-move", "no")
    expect(plan.locator(f"tr[data-instance='{renamed.id}']")).to_contain_text("evaluate")

    page.get_by_label("assess", exact=False).fill("evaluate")
    page.locator("form.filters button[type=submit]").click()
    expect(plan.locator(f"tr[data-instance='{renamed.id}']")).to_have_attribute("data-can-move", "yes")
    save_screenshot(page, "designer-migration-dry-run")

    page.locator("#migration-plan ~ .actions button[type=submit]").click()
    expect(page.locator("#migration-result")).to_be_visible()
    expect(plan.locator(f"tr[data-instance='{removed.id}']")).to_have_attribute("data-can-move", "no")
    expect(plan.locator(f"tr[data-instance='{review.id}']")).to_have_count(0)  # moved: no longer at version 1
    assert_accessible(page, "migration result (de)")
    page.click("form.language-switch button")  # after a POST the switch lands on the start page
    page.goto("/designer/processes/migrate/migrate?from=1&to=2")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(plan.locator(f"tr[data-instance='{removed.id}']")).to_contain_text("does not exist in version 2")
    assert_accessible(page, "migration page (en)")

    with services.db.unit_of_work() as uow:
        versions = {view.business_key: get_instance(uow, view.id).process_version
                    for view in (review, renamed, removed)}
    assert versions == {"MIG-review": 2, "MIG-renamed": 2, "MIG-removed": 1}
