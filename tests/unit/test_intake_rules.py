"""Intake rules without I/O: Leitweg-IDs and the routing CSV, duplicate keys, the rejection notice, drop-folder
names, e-mail attachments and message keys."""

from __future__ import annotations

import email
from datetime import UTC, date, datetime
from decimal import Decimal
from email import policy
from email.message import EmailMessage

import pytest

from intake.dropfolder import is_candidate
from intake.einvoice import Finding, Invoice, Party
from intake.letters import Receipt, rejection_notice
from intake.mail import attachments, message_key, sender_of
from intake.process import duplicate_key
from intake.routing import RouteProblems, check_digits, leitweg_problem, normalise, parse_routes_csv


@pytest.mark.parametrize("leitweg_id", ["04011000-12345-03", "04011000-12346-97", "99000000-18188-18",
                                        "992-90009-96", "04011000-1234512345-06", "04011000-*", "04011000-ABC-*"])
def test_leitweg_ids_with_correct_check_digits_and_prefixes_are_accepted(leitweg_id: str) -> None:
    assert leitweg_problem(leitweg_id) is None


def test_wrong_check_digits_and_malformed_ids_are_named() -> None:
    assert leitweg_problem("04011000-12345-34") == "the check digits of 04011000-12345-34 should be 03"
    assert "is not a Leitweg-ID" in (leitweg_problem("Leitweg-ID") or "")
    assert check_digits("04011000", "12345") == "03"
    assert normalise(" 04011000-abc-12 ") == "04011000-ABC-12" and normalise("  ") is None


def test_the_routing_csv_reports_every_problem_with_file_and_line() -> None:
    text = ("leitweg_id;unit;group\n04011000-12345-03;32;rechnungen-32\n04011000-12345-34;32;x\n"
            "04011000-12345-03;33;y\n99000000-18188-18;;z\n04011000-12346-97;50;a,b\n")
    with pytest.raises(RouteProblems) as raised:
        parse_routes_csv(text, "routen.csv")
    assert raised.value.problems == [
        "routen.csv:3: the check digits of 04011000-12345-34 should be 03",
        "routen.csv:4: duplicate Leitweg-ID 04011000-12345-03 (first on line 2)",
        "routen.csv:5: unit is empty",
        "routen.csv:6: group 'a,b' must be one group (no commas)",
    ]
    with pytest.raises(RouteProblems, match=r"routen\.csv:1: the header must name"):
        parse_routes_csv("id;unit\n1;2\n", "routen.csv")
    rows = parse_routes_csv("\ufeffleitweg_id,unit,group\n04011000-12345-03,32,g\n\n", "r.csv")
    assert [(row.line, row.leitweg_id, row.unit, row.group) for row in rows] == [(2, "04011000-12345-03", "32", "g")]


def test_duplicate_keys_match_the_same_seller_number_and_amount_only() -> None:
    key = duplicate_key("DE 123456789", "Lieferant GmbH", "R-1", "100.5")
    assert key == duplicate_key("de123456789", "Anderer Name", "R-1", "100.5")  # the VAT id decides
    assert key != duplicate_key("DE123456789", None, "R-1", "100.51")
    assert duplicate_key(None, "Lieferant  GmbH", "R-1", "1") == duplicate_key(None, "lieferant gmbh", "R-1", "1")
    assert duplicate_key(None, None, "R-1", "1") is None and duplicate_key("DE1", None, None, "1") is None


def test_the_rejection_notice_names_the_failed_rules_and_the_supplier() -> None:
    invoice = Invoice(number="R-2026-17", issue_date=date(2026, 3, 1), currency="EUR", payable=Decimal("1234.5"),
                      seller=Party(name="Lieferant GmbH", street="Hauptstr. 1", postcode="47798", city="Krefeld",
                                   country="DE"))
    errors = [Finding("BR-DE-15", "fatal", "/ubl:Invoice[1]", "Das Element Buyer reference (BT-10) muss "
                      "übermittelt werden.", "XRechnung-UBL"),
              Finding("BR-CO-10", "fatal", None, "Sum of Invoice line net amount = Σ Invoice line net amount.",
                      "EN16931-UBL")]
    receipt = Receipt("r.xml", datetime(2026, 3, 2, 23, 30, tzinfo=UTC), "mail", "rechnung@lieferant.example")
    notice = rejection_notice(invoice, errors, receipt, rule_sets=["EN16931-UBL", "XRechnung-UBL"])
    assert notice.subject == "Zurückweisung Ihrer elektronischen Rechnung Nr. R-2026-17"
    assert notice.recipient == "Lieferant GmbH\nHauptstr. 1\n47798 Krefeld\nE-Mail: rechnung@lieferant.example"
    assert "Nr. R-2026-17 vom 01.03.2026 über 1.234,50 EUR" in notice.text
    assert "eingegangen am 03.03.2026 per E-Mail" in notice.text  # the city's calendar day
    assert "1. [BR-DE-15] Das Element Buyer reference (BT-10) muss übermittelt werden." in notice.text
    assert "Fundstelle: /ubl:Invoice[1]" in notice.text and "2. [BR-CO-10]" in notice.text
    unreadable = rejection_notice(None, [], Receipt("x.xml", receipt.received_at, "api"),
                                  reason="x.xml: XML with a DTD is not accepted")
    assert unreadable.recipient == "An den Absender der Rechnung"
    assert "Grund: x.xml: XML with a DTD is not accepted" in unreadable.text


@pytest.mark.parametrize(("name", "taken"), [("rechnung.xml", True), ("R 17.pdf", True), (".rechnung.xml", False),
                                              ("rechnung.xml.part", False), ("rechnung.pdf.crdownload", False),
                                              ("~lock", False), ("rechnung.xml~", False), ("a.TMP", False)])
def test_only_final_names_are_taken_from_the_drop_folder(name: str, taken: bool) -> None:
    assert is_candidate(name) is taken


def test_pdf_xml_and_zip_attachments_are_found_also_in_forwarded_messages() -> None:
    inner = EmailMessage()
    inner["Subject"] = "Rechnung"
    inner.set_content("siehe Anhang")
    inner.add_attachment(b"<?xml version='1.0'?><Invoice/>", maintype="application", subtype="xml",
                         filename="rechnung.xml")
    outer = EmailMessage()
    outer["From"] = "Ein Absender <absender@example.org>"
    outer.set_content("weitergeleitet")
    outer.add_attachment(b"%PDF-1.7\n...", maintype="application", subtype="octet-stream", filename="r.pdf")
    outer.add_attachment(b"PK\x03\x04zip", maintype="application", subtype="zip", filename="a.zip")
    outer.add_attachment(b"\x89PNG\r\n", maintype="image", subtype="png", filename="logo.png")
    outer.add_attachment(b"%PDF-1.4 ohne Namen", maintype="application", subtype="pdf", disposition="attachment")
    outer.attach(_as_part(inner))
    raw = bytes(outer)
    parsed = email.message_from_bytes(raw, policy=policy.default)
    found = [(a.filename, a.kind) for a in attachments(parsed)]
    assert found[:3] == [("r.pdf", "pdf"), ("a.zip", "zip"), ("Anhang-6.pdf", "pdf")]
    assert found[3] == ("rechnung.xml", "xml")
    assert sender_of(parsed) == "absender@example.org"
    assert message_key(parsed, raw).startswith("sha256:")  # no Message-ID
    outer["Message-ID"] = "<abc@example.org>"
    assert message_key(email.message_from_bytes(bytes(outer), policy=policy.default), raw) == "<abc@example.org>"


def _as_part(message: EmailMessage) -> EmailMessage:
    part = EmailMessage()
    part.set_content(message)
    return part
