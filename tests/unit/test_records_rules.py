"""Pure e-file rules: media types from content, file names, reference numbers, dates, case status."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from core.errors import ValidationFailed
from records.cases import case_status
from records.filenames import clean_filename
from records.files import disposal_date, reference_number
from records.mediatypes import decide, sniff

EML = b"Received: from mx.krefeld.de\r\nFrom: buerger@example.org\r\nSubject: Antrag\r\n\r\nHallo"


@pytest.mark.parametrize(("head", "expected"), [
    (b"%PDF-1.7\n", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n" + bytes(20), "image/png"),
    (b"\xff\xd8\xff\xe0" + bytes(20), "image/jpeg"),
    ("Sehr geehrte Damen und Herren, Ihr Antrag …".encode(), "text/plain"),
    (b'<?xml version="1.0"?><Invoice/>', "application/xml"),
    (b"<rsm:CrossIndustryInvoice xmlns:rsm='x'>", "application/xml"),
    (EML, "message/rfc822"),
    (bytes(100), "application/octet-stream"),
    ("Grüße".encode()[:-1], "text/plain"),  # a character cut off at the end of the head is still text
])
def test_sniffing(head: bytes, expected: str) -> None:
    assert sniff(head) == expected


def test_the_name_refines_plain_text_but_never_overrides_content() -> None:
    assert decide(b"a;b\n1;2\n", "liste.csv", None) == "text/csv"
    assert decide(b'{"a": 1}', "daten.json", "application/json") == "application/json"
    assert decide(b"%PDF-1.7\n", "scan.pdf", "application/octet-stream") == "application/pdf"
    assert decide(EML, "mail.eml", "message/rfc822") == "message/rfc822"
    with pytest.raises(ValidationFailed, match="does not match the file name"):
        decide(b"%PDF-1.7\n", "foto.png", None)
    with pytest.raises(ValidationFailed, match="not image/png as declared"):
        decide(b"%PDF-1.7\n", "scan", "image/png")
    with pytest.raises(ValidationFailed, match="unrecognised binary data"):
        decide(bytes(100), "daten.bin", None)


@pytest.mark.parametrize("name", ["../x.pdf", "a/b.pdf", "c:\\temp\\x.pdf", "..", "x\x07.pdf", " ", "ä" * 200])
def test_file_names_with_tricks_are_refused(name: str) -> None:
    with pytest.raises(ValidationFailed):
        clean_filename(name)


def test_file_names_are_kept_readable() -> None:
    assert clean_filename("  Bescheid Müller.pdf ") == "Bescheid Müller.pdf"
    assert clean_filename("Bescheid Mu\u0308ller.pdf") == "Bescheid Müller.pdf"  # NFC


def test_reference_numbers_and_disposal_dates() -> None:
    assert reference_number("32.10.05", 2026, 17) == "32.10.05-2026/00017"
    assert reference_number("1", 2026, 123456) == "1-2026/123456"
    closed_new_years_eve = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)  # 2027 in Krefeld
    assert disposal_date(closed_new_years_eve, 10) == date(2038, 1, 1)
    assert disposal_date(datetime(2026, 6, 1, tzinfo=UTC), 0) == date(2027, 1, 1)


@pytest.mark.parametrize(("closed", "process", "expected"), [
    (True, "running", "closed"), (False, None, "open"), (False, "running", "in_progress"),
    (False, "completed", "completed"), (False, "suspended", "suspended"), (False, "cancelled", "cancelled"),
])
def test_case_status_follows_the_process(closed: bool, process: str | None, expected: str) -> None:
    assert case_status(closed, process) == expected
