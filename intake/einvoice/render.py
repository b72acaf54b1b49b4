"""A readable, self-contained HTML rendering of an invoice and its validation report (German labels by default).

Raw XML is not readable for a caseworker; this page is. Every value from the invoice is escaped; the page
has no scripts and no external resources, so it can be stored as a document in the file as it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from html import escape

from intake.einvoice.model import CheckResult, Finding, Invoice, Party

LABELS = {
    "de": {"title": "Rechnung", "credit_note": "Gutschrift", "number": "Rechnungsnummer", "issued": "Rechnungsdatum",
           "type": "Rechnungsart", "due": "Fällig am", "currency": "Währung", "buyer_reference": "Leitweg-ID",
           "order": "Bestellnummer", "specification": "Spezifikation", "seller": "Verkäufer", "buyer": "Käufer",
           "vat_id": "USt-IdNr.", "iban": "IBAN", "lines": "Positionen", "line": "Pos.", "description": "Bezeichnung",
           "quantity": "Menge", "unit": "Einheit", "price": "Nettopreis", "net": "Nettobetrag", "vat": "Umsatzsteuer",
           "category": "Kategorie", "rate": "Satz %", "taxable": "Bemessungsgrundlage", "tax": "Steuerbetrag",
           "net_total": "Summe Positionen (netto)", "tax_exclusive": "Gesamt ohne USt.",
           "tax_inclusive": "Gesamt mit USt.", "payable": "Zahlbetrag", "report": "Prüfbericht",
           "valid": "gültig – keine Fehler", "invalid": "ungültig – Fehler gefunden",
           "paper": "keine E-Rechnung (PDF ohne Rechnungsdaten)", "applied": "Angewendete Regelwerke",
           "skipped": "Nicht angewendet", "rule": "Regel", "severity": "Stufe", "location": "Ort", "text": "Meldung",
           "errors": "Fehler", "warnings": "Hinweise", "none": "keine", "syntax": "Format", "rule_set": "Regelwerk"},
    "en": {"title": "Invoice", "credit_note": "Credit note", "number": "Invoice number", "issued": "Issue date",
           "type": "Type code", "due": "Due date", "currency": "Currency", "buyer_reference": "Buyer reference",
           "order": "Order reference", "specification": "Specification", "seller": "Seller", "buyer": "Buyer",
           "vat_id": "VAT id", "iban": "IBAN", "lines": "Lines", "line": "No.", "description": "Description",
           "quantity": "Quantity", "unit": "Unit", "price": "Net price", "net": "Net amount", "vat": "VAT",
           "category": "Category", "rate": "Rate %", "taxable": "Taxable amount", "tax": "Tax amount",
           "net_total": "Sum of lines (net)", "tax_exclusive": "Total without VAT", "tax_inclusive": "Total with VAT",
           "payable": "Amount due", "report": "Validation report", "valid": "valid – no errors",
           "invalid": "invalid – errors found", "paper": "not an e-invoice (PDF without invoice data)",
           "applied": "Rule sets applied", "skipped": "Not applied", "rule": "Rule", "severity": "Severity",
           "location": "Location", "text": "Message", "errors": "Errors", "warnings": "Warnings", "none": "none",
           "syntax": "Format", "rule_set": "Rule set"},
}
STYLE = ("body{font-family:sans-serif;margin:2em;color:#111}table{border-collapse:collapse;margin:.5em 0 1.5em}"
         "th,td{border:1px solid #999;padding:.25em .5em;text-align:left;vertical-align:top}"
         "td.n{text-align:right}.ok{color:#075e00}.bad{color:#a00000}.parties{display:flex;gap:3em}")


def _value(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, date):
        return escape(value.strftime("%d.%m.%Y"))
    if isinstance(value, Decimal):
        return escape(f"{value:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
                      if value == value.quantize(Decimal("0.01")) else str(value))
    return escape(str(value))


def _table(headers: Iterable[str], rows: Iterable[Iterable[object]], numeric: frozenset[int] = frozenset()) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td{' class=n' if i in numeric else ''}>{_value(cell)}</td>"
                                    for i, cell in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _party(title: str, party: Party, t: dict[str, str]) -> str:
    lines = [party.name, party.street, " ".join(p for p in (party.postcode, party.city) if p) or None, party.country]
    address = "<br>".join(_value(line) for line in lines if line)
    vat = f"<br>{escape(t['vat_id'])}: {_value(party.vat_id)}" if party.vat_id else ""
    return f"<section><h2>{escape(title)}</h2><p>{address or '–'}{vat}</p></section>"


def _header(invoice: Invoice, t: dict[str, str]) -> str:
    rows = [(t["number"], invoice.number), (t["issued"], invoice.issue_date), (t["type"], invoice.type_code),
            (t["due"], invoice.due_date), (t["currency"], invoice.currency),
            (t["buyer_reference"], invoice.buyer_reference), (t["order"], invoice.order_reference),
            (t["iban"], invoice.iban), (t["specification"], invoice.specification)]
    return "<table>" + "".join(f"<tr><th>{escape(k)}</th><td>{_value(v)}</td></tr>" for k, v in rows) + "</table>"


def _totals(invoice: Invoice, t: dict[str, str]) -> str:
    rows = [(t["net_total"], invoice.net_total), (t["tax_exclusive"], invoice.tax_exclusive),
            (t["tax_inclusive"], invoice.tax_inclusive), (t["payable"], invoice.payable)]
    currency = escape(invoice.currency or "")
    return "<table>" + "".join(f"<tr><th>{escape(k)}</th><td class=n>{_value(v)} {currency}</td></tr>"
                               for k, v in rows) + "</table>"


def _findings(title: str, findings: list[Finding], t: dict[str, str]) -> str:
    if not findings:
        return f"<h3>{escape(title)}</h3><p>{escape(t['none'])}</p>"
    rows = [(f.rule_id, f.severity, f.location, f.text, f.rule_set) for f in findings]
    headers = (t["rule"], t["severity"], t["location"], t["text"], t["rule_set"])
    return f"<h3>{escape(title)}</h3>" + _table(headers, rows)


def _report(result: CheckResult, t: dict[str, str]) -> str:
    verdict, css = ((t["paper"], "bad") if result.paper_like else (t["valid"], "ok") if result.valid
                    else (t["invalid"], "bad"))
    applied = ", ".join(f"{name} {result.rule_set_versions[name]}" if name in result.rule_set_versions else name
                        for name in result.rule_sets) or t["none"]
    skipped = "; ".join(result.skipped_rule_sets) or t["none"]
    return (f"<section><h2>{escape(t['report'])}</h2><p class={css}><strong>{escape(verdict)}</strong></p>"
            f"<p>{escape(t['syntax'])}: {escape(result.syntax)}<br>{escape(t['applied'])}: {escape(applied)}<br>"
            f"{escape(t['skipped'])}: {escape(skipped)}</p>"
            f"{_findings(t['errors'], result.errors, t)}{_findings(t['warnings'], result.warnings, t)}</section>")


def render_html(invoice: Invoice, result: CheckResult, lang: str = "de") -> str:
    t = LABELS.get(lang, LABELS["de"])
    title = f"{t['credit_note'] if invoice.is_credit_note else t['title']} {invoice.number or ''}".strip()
    lines = _table((t["line"], t["description"], t["quantity"], t["unit"], t["price"], t["net"]),
                   [(li.id, li.description, li.quantity, li.unit_code, li.unit_price, li.net_amount)
                    for li in invoice.lines], numeric=frozenset({2, 4, 5}))
    vat = _table((t["category"], t["rate"], t["taxable"], t["tax"]),
                 [(v.category, v.rate, v.taxable, v.tax) for v in invoice.vat], numeric=frozenset({1, 2, 3}))
    return (f"<!DOCTYPE html><html lang=\"{escape(lang if lang in LABELS else 'de')}\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body><h1>{escape(title)}</h1>"
            f"{_header(invoice, t)}<div class=parties>{_party(t['seller'], invoice.seller, t)}"
            f"{_party(t['buyer'], invoice.buyer, t)}</div><h2>{escape(t['lines'])}</h2>{lines}"
            f"<h2>{escape(t['vat'])}</h2>{vat}{_totals(invoice, t)}{_report(result, t)}</body></html>")
