"""Text extraction (search.extract) on the documents in ../shared/testdata/documents: known words of each are
found, OCR (tesseract, `make install`) reads scans and images, and what cannot be read fails with one line."""

from __future__ import annotations

import json
import signal
import struct
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from lxml import etree

from search.extract import Extracted, ExtractionFailed, ExtractionLimits, extract, extract_in_process
from search.extract import process as extract_process
from tests.conftest import testdata_dir as shared_testdata

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
LIMITS = ExtractionLimits()
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@dataclass(frozen=True)
class Known:
    media_type: str
    method: str
    words: tuple[str, ...]


KNOWN = {
    "RE-E-974-Hetzner_2016-01-19_R0005532486.pdf": Known(PDF, "pdf-text", (
        "Gunzenhausen", "Rechnungsnummer: R0005532486", "zusätzliche IP", "Fälligkeitsdatum")),
    "EN16931_Einfach.pdf": Known(PDF, "pdf-text", ("Rechnungsstandard", "Umsatzsteueraufschlüsselung", "Skonto")),
    "ZTESTZUGFERD_1_INVDSS_012015738820PDF-1.pdf": Known(PDF, "pdf-text", (
        "BELEGVERFILMUNG", "Deutsche Bank Muenchen")),
    "MustangGnuaccountingBeispielRE-20201121_508blanko.pdf": Known(PDF, "pdf-text", (
        "Invoice # RE-20201121/508", "Design (hours)")),
    # a text layer of 15 visible characters counts as none: the page is read by OCR, which finds the same
    "invoice.pdf": Known(PDF, "pdf-ocr", ("This is an Invoice",)),
    "masks.pdf": Known(PDF, "pdf-ocr", ("Linux", "Wikipedia", "Betriebssystem", "Linus Torvalds")),
    "c02-22.pdf": Known(PDF, "pdf-ocr", ("tip-toeing", "path amongst")),
    "typewriter.png": Known("image/png", "ocr", ("Linzensoep", "Waterman", "kopjes melk")),
    "eurotext.tif": Known("image/tiff", "ocr", ("Fuchs", "über den faulen Hund", "braune")),
    "tagged.odt": Known(ODT, "odt", ("Heading", "Document text.", "Table caption", "Cell 4", "Body text.")),
    # two runs "Heading Para" + "graph" make one word
    "par-known-paragraphs.docx": Known(DOCX, "docx", ("Heading Paragraph", "Normal paragraph")),
    "tbl-2x2-table.docx": Known(DOCX, "docx", ()),  # its four cells are empty: see test_docx_table_cells
    "SOURCES.md": Known("text/markdown", "text", ("ocrmypdf/OCRmyPDF", "python-openxml/python-docx")),
}
BROKEN = {"invalid.pdf": "PDF is damaged: startxref not found"}


def document(name: str) -> Path:
    return shared_testdata() / "documents" / name


def expected(name: str) -> dict[str, object]:
    entries = json.loads((shared_testdata() / "expected.json").read_text(encoding="utf-8"))
    entry = entries.get(f"documents/{name}", {})
    assert isinstance(entry, dict)
    return entry


def squeezed(text: str) -> str:
    return "".join(text.split())


def test_every_test_document_has_known_words() -> None:
    present = {path.name for path in (shared_testdata() / "documents").iterdir()}
    assert present == set(KNOWN) | set(BROKEN), "add the new test document to KNOWN or BROKEN"


@pytest.mark.parametrize("name", sorted(KNOWN))
def test_known_words_are_found(name: str) -> None:
    known = KNOWN[name]
    result = extract(document(name), known.media_type, LIMITS)  # in the child process, as the worker does
    assert result.method == known.method
    for word in known.words:
        assert word in result.text
    facts = expected(name)
    if facts.get("pages") and facts.get("format") in ("pdf", "tif"):
        assert result.pages == facts["pages"]
    if isinstance(facts.get("first_200_chars"), str):  # the reference tool joined lines differently
        assert squeezed(result.text).startswith(squeezed(str(facts["first_200_chars"])))
    if name == "tbl-2x2-table.docx":
        assert result == Extracted("", "docx", None)


@pytest.mark.parametrize("run", [extract, extract_in_process])
def test_a_damaged_pdf_fails_with_one_line(run: Callable[[Path, str, ExtractionLimits], Extracted]) -> None:
    with pytest.raises(ExtractionFailed) as failure:
        run(document("invalid.pdf"), PDF, LIMITS)
    assert str(failure.value) == BROKEN["invalid.pdf"]


def _session_members(session: int) -> list[int]:
    """Processes (zombies too) still in the session the extraction child led."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[3]) == session:
            members.append(int(stat.parent.name))
    return members


@pytest.mark.parametrize("seconds", [0.01, 1.0])  # while the child starts; while tesseract reads the page
def test_the_time_limit_stops_the_child_and_its_tesseract(seconds: float, monkeypatch: pytest.MonkeyPatch) -> None:
    children: list[subprocess.Popen[bytes]] = []

    class Recorded(subprocess.Popen[bytes]):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[call-overload]
            children.append(self)

    monkeypatch.setattr(extract_process.subprocess, "Popen", Recorded)
    started = time.monotonic()
    with pytest.raises(ExtractionFailed, match=rf"took longer than {seconds:g} s"):
        extract(document("masks.pdf"), PDF, ExtractionLimits(timeout_seconds=seconds))
    assert time.monotonic() - started < seconds + extract_process.GRACE_SECONDS
    [child] = children
    assert child.returncode in (-signal.SIGTERM, 128 + signal.SIGTERM)  # reaped; SIGTERM sufficed
    assert _session_members(child.pid) == []


def test_a_crashing_child_is_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    crash = "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"
    monkeypatch.setattr(extract_process, "COMMAND", [sys.executable, "-c", crash])
    with pytest.raises(ExtractionFailed, match=r"^the extraction process crashed \(killed by SIGSEGV\)$"):
        extract(document("invoice.pdf"), PDF, LIMITS)


def test_pages_beyond_the_limit_are_not_read() -> None:
    result = extract_in_process(document("EN16931_Einfach.pdf"), PDF, ExtractionLimits(max_pages=1))
    assert (result.method, result.pages) == ("pdf-text", 1)
    assert "Rechnungsstandard" in result.text  # page 1
    assert "Skonto" not in result.text  # page 2


def _grey_tiff(pdf: Path, dpi: int) -> bytes:
    """A multi-page TIFF (uncompressed 8-bit grey, one strip per page) of a PDF's pages."""
    pages = []
    document_ = pdfium.PdfDocument(pdf)
    for number in range(len(document_)):
        page = document_[number]
        bitmap = page.render(scale=dpi / 72, grayscale=True)
        raw, stride, width, height = bytes(bitmap.buffer), bitmap.stride, bitmap.width, bitmap.height
        pages.append((width, height, b"".join(raw[row * stride: row * stride + width] for row in range(height))))
        bitmap.close()
        page.close()
    document_.close()
    data, link = bytearray(b"II*\x00\x00\x00\x00\x00"), 4
    for width, height, pixels in pages:
        strip = len(data)
        data += pixels + b"\x00" * (len(pixels) % 2)
        struct.pack_into("<I", data, link, len(data))
        tags = [(256, 4, width), (257, 4, height), (258, 3, 8), (259, 3, 1), (262, 3, 1), (273, 4, strip),
                (277, 3, 1), (278, 4, height), (279, 4, len(pixels))]
        data += struct.pack("<H", len(tags))
        for tag, kind, value in tags:
            data += struct.pack("<HHII", tag, kind, 1, value) if kind == 4 else struct.pack("<HHIHH", tag, kind, 1,
                                                                                            value, 0)
        link = len(data)
        data += b"\x00\x00\x00\x00"
    return bytes(data)


def test_a_multi_page_tiff_is_read_up_to_the_page_limit(tmp_path: Path) -> None:
    scan = tmp_path / "scan.tif"
    scan.write_bytes(_grey_tiff(document("EN16931_Einfach.pdf"), dpi=150))
    first = extract_in_process(scan, "image/tiff", ExtractionLimits(max_pages=1))
    assert (first.method, first.pages) == ("ocr", 1)
    assert "Rechnungsstandard" in first.text and "Skonto" not in first.text
    both = extract_in_process(scan, "image/tiff", ExtractionLimits(max_pages=2))
    assert both.pages == 2
    assert "Rechnungsstandard" in both.text and "Skonto" in both.text


def test_text_beyond_the_limit_is_cut(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("Bürgeramt " * 1000, encoding="utf-8")
    result = extract_in_process(notes, "text/plain", ExtractionLimits(max_chars=25))
    assert result == Extracted("Bürgeramt Bürgeramt Bürge", "text", None)


def test_docx_table_cells(tmp_path: Path) -> None:
    """The shipped 2x2 table with a word put into each cell: every cell is found, each on a line of its own."""
    words = iter(["Antragsteller", "Gewerbeamt", "Gunzenhausen", "Führerscheinstelle"])
    with zipfile.ZipFile(document("tbl-2x2-table.docx")) as original:
        body = etree.fromstring(original.read("word/document.xml"))
        for paragraph in body.iter(f"{W}tc"):
            run = etree.SubElement(paragraph.find(f"{W}p"), f"{W}r")
            etree.SubElement(run, f"{W}t").text = next(words)
        filled = tmp_path / "filled.docx"
        with zipfile.ZipFile(filled, "w", zipfile.ZIP_DEFLATED) as copy:
            for item in original.infolist():
                content = etree.tostring(body) if item.filename == "word/document.xml" else original.read(item)
                copy.writestr(item.filename, content)
    result = extract_in_process(filled, DOCX, LIMITS)
    assert result.text.splitlines() == ["Antragsteller", "Gewerbeamt", "Gunzenhausen", "Führerscheinstelle"]


def test_a_zip_bomb_docx_is_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive, archive.open("word/document.xml", "w") as xml:
        xml.write(b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>')
        for _ in range(52):
            xml.write(b" " * 2**20)  # 52 MB of nothing
        xml.write(b"</w:body></w:document>")
    assert bomb.stat().st_size < 2**20
    with pytest.raises(ExtractionFailed, match="zip bomb"):
        extract_in_process(bomb, DOCX, LIMITS)


def _mail(tmp_path: Path, *attachments: tuple[str, bytes]) -> Path:
    message = EmailMessage()
    message["From"] = "Jochen Stärk <buchhaltung@example.org>"
    message["To"] = "poststelle@stadt.example"
    message["Subject"] = "Rechnung für Januar"
    message.set_content("Sehr geehrte Damen und Herren,\nanbei die Rechnung für den Server in Gunzenhausen.\n")
    message.add_alternative("<p>Sehr geehrte Damen und Herren,</p><p>anbei die <b>Rechnung</b>.</p>", subtype="html")
    for filename, content in attachments:
        message.add_attachment(content, maintype="application", subtype="octet-stream", filename=filename)
    path = tmp_path / "mail.eml"
    path.write_bytes(message.as_bytes())
    return path


def test_an_email_with_attachments(tmp_path: Path) -> None:
    mail = _mail(tmp_path, ("rechnung.pdf", document("RE-E-974-Hetzner_2016-01-19_R0005532486.pdf").read_bytes()),
                 ("kaputt.pdf", document("invalid.pdf").read_bytes()))
    result = extract(mail, "message/rfc822", LIMITS)
    assert (result.method, result.pages) == ("email", None)
    for header in ("From: Jochen Stärk <buchhaltung@example.org>", "Subject: Rechnung für Januar"):
        assert header in result.text
    assert "anbei die Rechnung für den Server" in result.text  # the plain part, not the HTML one
    assert "<p>" not in result.text
    invoice = result.text.index("--- Anhang: rechnung.pdf ---")
    assert result.text.index("Rechnungsnummer: R0005532486") > invoice
    # an unreadable attachment is named with the reason; the mail and the other attachments are still read
    assert "--- Anhang: kaputt.pdf ---\n(nicht lesbar: PDF is damaged: startxref not found)" in result.text


def test_an_html_only_email_is_reduced_to_its_text(tmp_path: Path) -> None:
    message = EmailMessage()
    message["Subject"] = "Termin"
    message.set_content("<html><head><style>p {color: red}</style></head><body><p>Ihr Termin</p><p>im Bürgeramt"
                        "</p><script>alert('x')</script></body></html>", subtype="html")
    path = tmp_path / "termin.eml"
    path.write_bytes(message.as_bytes())
    result = extract_in_process(path, "message/rfc822", LIMITS)
    assert result.text == "Subject: Termin\n\nIhr Termin\nim Bürgeramt"


def test_xml_gives_its_text_and_resolves_no_entities(tmp_path: Path) -> None:
    invoice = extract_in_process(shared_testdata() / "xrechnung" / "valid" / "XRECHNUNG_Einfach.ubl.xml",
                                 "application/xml", LIMITS)
    assert "Lieferantenstraße 20" in invoice.text and "<cbc:" not in invoice.text
    secret = tmp_path / "secret.txt"
    secret.write_text("geheim", encoding="utf-8")
    hostile = tmp_path / "xxe.xml"
    hostile.write_text(f'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY secret SYSTEM "file://{secret}">]>'
                       "<a>Antrag &secret;</a>", encoding="utf-8")
    assert extract_in_process(hostile, "application/xml", LIMITS).text == "Antrag"


def test_ocr_languages_must_be_installed() -> None:
    with pytest.raises(ExtractionFailed, match=r"OCR language xyz is not installed \(Debian: tesseract-ocr-xyz\)"):
        extract_in_process(document("typewriter.png"), "image/png", ExtractionLimits(ocr_languages="deu+xyz"))
    with pytest.raises(ExtractionFailed, match="not a tesseract language list"):
        extract_in_process(document("typewriter.png"), "image/png", ExtractionLimits(ocr_languages="deu -c x=1"))


def test_types_without_an_extractor_give_no_text() -> None:
    spreadsheet = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert extract_in_process(document("tagged.odt"), spreadsheet, LIMITS) == Extracted("", "none", None)


def test_media_type_parameters_and_case_do_not_matter() -> None:
    hetzner = document("RE-E-974-Hetzner_2016-01-19_R0005532486.pdf")
    assert extract_in_process(hetzner, "Application/PDF; name=x", LIMITS).method == "pdf-text"


def test_a_missing_file_is_a_failure(tmp_path: Path) -> None:
    with pytest.raises(ExtractionFailed, match="there is no file to extract text from"):
        extract(tmp_path / "gone.pdf", PDF, LIMITS)


def test_an_html_page_gives_its_visible_text(tmp_path: Path) -> None:
    page = tmp_path / "Rechnung-4711.html"
    page.write_text("<!DOCTYPE html><html><head><title>Kopf</title><style>td {color: red}</style></head><body>"
                    "<h1>Rechnung 4711</h1><table><tr><td>Lieferant</td><td>Müller GmbH</td></tr></table>"
                    "<script>document.write('x')</script><!-- Kommentar --></body></html>", encoding="utf-8")
    result = extract_in_process(page, "text/html", LIMITS)
    assert result.text == "Rechnung 4711\nLieferant\nMüller GmbH" and result.method == "text"
    empty = tmp_path / "leer.html"
    empty.write_text("  ", encoding="utf-8")
    assert extract_in_process(empty, "text/html", LIMITS).text == ""
