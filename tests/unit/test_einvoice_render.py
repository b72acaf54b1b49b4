"""The readable HTML rendering: German labels, escaped values, the validation report, self-contained."""

from __future__ import annotations

from intake.einvoice import Checker, render_html
from tests.unit.test_einvoice_parse import sample_ubl


def _rendered(content: bytes, lang: str = "de") -> str:
    result = Checker(None).check(content, "r.xml")
    assert result.invoice is not None
    return render_html(result.invoice, result, lang)


def test_the_rendering_shows_the_invoice_with_german_labels_and_amounts() -> None:
    html = _rendered(sample_ubl())
    assert html.startswith("<!DOCTYPE html>") and '<html lang="de">' in html
    for text in ("Rechnung R-2026-0042", "Rechnungsdatum", "01.03.2026", "Leitweg-ID", "05315000-12345-67",
                 "Verkäufer", "Muster GmbH", "Hauptstr. 1", "DE123456789", "Artikel 1", "119,00 EUR", "Prüfbericht",
                 "gültig – keine Fehler", "EN16931-UBL (no AKTE_EINVOICE_RULES)"):
        assert text in html, text


def test_values_from_the_invoice_are_escaped_and_nothing_external_is_loaded() -> None:
    html = _rendered(sample_ubl(seller="&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co"))
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html
    assert "http://" not in html and "https://" not in html and "<link" not in html


def test_findings_appear_in_the_report() -> None:
    html = _rendered(sample_ubl(payable="100.00"))
    assert "ungültig – Fehler gefunden" in html and "AKTE-AR-4" in html and "akte-arithmetic" in html


def test_english_labels_on_request() -> None:
    html = _rendered(sample_ubl(root="CreditNote"), "en")
    assert "Credit note R-2026-0042" in html and "Amount due" in html and '<html lang="en">' in html
