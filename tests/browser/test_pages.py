"""Every caseworker page passes axe-core in German and English, works by keyboard alone with a visible
focus, and takes documents by drag and drop."""

from __future__ import annotations

import io
import re
import struct
import zlib

from playwright.sync_api import Page, expect
from pypdf import PdfWriter

from records.access import Principal
from records.cases import get_case
from records.documents import Upload, add_document
from tests.browser.axe import assert_accessible
from tests.browser.conftest import LiveServer
from tests.browser.test_caseworker import _office, _sign_in


def test_every_page_passes_axe_in_both_languages(page: Page, live_server: LiveServer) -> None:
    case_id, _document = _office(live_server.services)
    with live_server.services.db.unit_of_work() as uow:
        file_id = get_case(uow, live_server.services.records, Principal.system("t"), case_id).file_id
    _sign_in(page, "anna")
    pages = ["/inbox", "/inbox?view=groups", "/inbox?view=substitutions", "/inbox?view=followup",
             "/search?q=antrag", "/search?q=%22unclosed", "/substitutes", f"/files/{file_id}", f"/cases/{case_id}"]
    for language in ("de", "en"):
        for path in pages:
            page.goto(path)
            expect(page.locator("html")).to_have_attribute("lang", language)
            assert_accessible(page, f"{path} ({language})")
        page.click("form.language-switch button")  # switch (remembered for the user) and stay on the page
        expect(page.locator("h1")).to_contain_text("Antrag Mustermann")
    expect(page.locator("nav .nav")).to_contain_text("Postkorb")  # switched to English and back


def test_the_inbox_and_a_form_work_by_keyboard_alone(page: Page, live_server: LiveServer) -> None:
    _office(live_server.services)
    page.goto("/sign-in")
    assert page.evaluate("document.activeElement.id") == "login"  # the sign-in field has the focus
    page.keyboard.type("anna")
    page.keyboard.press("Tab")
    page.keyboard.type("correct horse battery")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/inbox$"))
    page.keyboard.press("Tab")  # the first stop is the skip link, visible when focused
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.focus("a[href*='view=groups']")
    page.keyboard.press("Enter")
    claim = page.locator("#inbox-table tbody button[value=claim]").first
    claim.focus()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("Enter")
    expect(page.locator("#inbox-body [role=status]")).to_contain_text("1")
    page.focus("a[href*='view=mine']")
    page.keyboard.press("Enter")
    page.locator("#inbox-table tbody a", has_text="Antrag erfassen").focus()
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text("Antrag erfassen")
    page.get_by_label("Antragsteller·in").focus()
    page.keyboard.type("Erika Mustermann")
    page.keyboard.press("Tab")
    page.keyboard.type("7")
    page.focus("button[name=_save][value=complete]")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/inbox$"))


def test_documents_are_added_by_drag_and_drop(page: Page, live_server: LiveServer) -> None:
    case_id, _document = _office(live_server.services)
    _sign_in(page, "anna")
    page.goto(f"/cases/{case_id}")
    zone = page.locator(f"form[action='/cases/{case_id}/documents'].drop-zone")
    transfer = page.evaluate_handle("""() => {
        const data = new DataTransfer();
        data.items.add(new File(["Stellungnahme des Bauamts"], "stellungnahme.txt", {type: "text/plain"}));
        return data;
    }""")
    zone.dispatch_event("drop", {"dataTransfer": transfer})
    expect(page.locator("#documents-heading + table")).to_contain_text("stellungnahme.txt")
    expect(page.locator(".flash-area")).to_contain_text("1 Dokument(e) hinzugefügt.")


def test_pdf_and_image_documents_are_previewed_inline(page: Page, live_server: LiveServer) -> None:
    services = live_server.services
    case_id, _document = _office(services)
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    pdf = io.BytesIO()
    writer.write(pdf)
    clerk = Principal("anna", frozenset({"unit-a"}))
    with services.db.unit_of_work() as uow:
        for name, content in (("bescheid.pdf", pdf.getvalue()), ("foto.png", _png(40, 30))):
            add_document(uow, services.records, clerk, Upload(io.BytesIO(content), name), case_id=case_id)
        uow.commit()
    _sign_in(page, "anna")
    page.goto(f"/cases/{case_id}")
    page.locator("tr", has_text="foto.png").locator("summary").click()
    preview = page.get_by_alt_text("Vorschau von foto.png")
    expect(preview).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth === 40", arg=preview.element_handle())
    page.locator("tr", has_text="bescheid.pdf").locator("summary").click()
    expect(page.get_by_title("Vorschau von bescheid.pdf")).to_be_visible()
    page.wait_for_timeout(1500)  # Chromium's PDF viewer is an extension frame inside the iframe
    assert any(frame.url.startswith("chrome-extension://") for frame in page.frames), [f.url for f in page.frames]


def _png(width: int, height: int) -> bytes:
    """A plain red RGB PNG (no imaging library needed)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xc8\x1e\x1e" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
