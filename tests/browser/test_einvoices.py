"""Accounts payable receives an XRechnung in the browser, the worker checks and files it, the page shows it."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from intake.process import process_pending
from records.fileplan import import_plan, parse_plan_csv
from tests import conftest
from tests.browser.axe import assert_accessible, save_screenshot
from tests.browser.conftest import LiveServer
from tests.browser.test_caseworker import _sign_in
from tests.intake_helpers import PLAN_CSV
from tests.web_helpers import ensure_user


def test_an_xrechnung_is_received_checked_and_filed(page: Page, live_server: LiveServer) -> None:
    invoice = conftest.testdata_dir() / "xrechnung" / "valid" / "01.01a-INVOICE_ubl.xml"
    services = live_server.services
    with services.db.unit_of_work() as uow:
        import_plan(uow, parse_plan_csv(PLAN_CSV, "plan.csv"))
        uow.commit()
    ensure_user(services, "anna", name="Kira Kreditoren", units=("21",), groups=("kreditoren",))
    _sign_in(page, "anna")
    page.click("nav a[href='/einvoices']")
    assert_accessible(page, "e-invoices, empty")
    page.set_input_files("#einvoice-file", str(invoice))
    page.click("form.drop-zone button[type=submit]")
    expect(page.locator(".flash-area")).to_contain_text("1 Rechnung(en) eingegangen")
    row = page.locator("table.data tbody tr", has_text=invoice.name)
    expect(row).to_contain_text("received")
    assert process_pending(services) == 1  # what the worker does
    page.reload()
    expect(row).to_contain_text("accepted")
    expect(row).to_contain_text("123456XX")
    assert_accessible(page, "e-invoices list")
    row.locator("a").click()
    expect(page.locator("h1")).to_contain_text(invoice.name)
    expect(page.locator("dl.facts.panel")).to_contain_text("04011000-12345-03")  # the Leitweg-ID
    assert_accessible(page, "e-invoice detail")
    save_screenshot(page, "einvoice")
    pdf = page.request.get(page.locator("a", has_text="Rechnung als PDF").get_attribute("href") or "")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")
    page.click("a:has-text('Vorgang öffnen')")
    expect(page.locator("h2#documents-heading + table")).to_contain_text("Rechnung 123456XX")
