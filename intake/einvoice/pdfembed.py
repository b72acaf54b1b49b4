"""The invoice XML embedded in a ZUGFeRD / Factur-X / XRechnung-in-PDF file, read with pypdf and bounded.

The PDF's name tree of embedded files is read with pypdf (its own limits apply), strictly first: a PDF whose
cross-reference table is sound is read without pypdf's lenient mode, which checks every entry of the table
before anything is read (about half the reading time of a typical ZUGFeRD file); a PDF the strict reading
refuses is read again leniently, with pypdf's repairs. The chosen attachment is then decoded here: a
FlateDecode stream is inflated with an output limit, so a "zip bomb" attachment stops after `max_bytes`
instead of filling memory, and a corrupt stream is refused instead of half-decoded.
A PDF without an invoice attachment returns None (paper-like: the document path, not a rejection).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO

from pypdf import Configuration, PdfReader, apply_configuration, get_configuration
from pypdf.errors import PyPdfError
from pypdf.generic import DictionaryObject, StreamObject

from intake.einvoice.errors import UnreadableInvoice

# Names the standards give the invoice attachment, in order of preference (compared case-insensitively).
KNOWN_NAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml")
INVOICE_ROOT_MARKERS = (b"CrossIndustryInvoice", b"CrossIndustryDocument", b"Invoice-2", b"CreditNote-2")
MAX_ATTACHMENTS = 100
_READ_ERRORS = (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError,
                OSError, zlib.error, AssertionError)


@dataclass(frozen=True)
class EmbeddedXml:
    name: str
    content: bytes


def looks_like_pdf(content: bytes) -> bool:
    return b"%PDF-" in content[:1024]


def _attachments(content: bytes, filename: str, max_bytes: int) -> list[tuple[str, StreamObject]]:
    """(name, embedded-file stream) of every attachment, at most MAX_ATTACHMENTS: read strictly, and leniently
    (with pypdf's repairs) when the strict reading fails."""
    try:
        with apply_configuration(_pypdf_limits(get_configuration(), max_bytes)):
            try:
                return _read_attachments(content, strict=True)
            except _READ_ERRORS:
                return _read_attachments(content, strict=False)
    except _READ_ERRORS as exc:
        raise UnreadableInvoice(filename, f"PDF cannot be read: {type(exc).__name__}: {exc}") from None


def _read_attachments(content: bytes, *, strict: bool) -> list[tuple[str, StreamObject]]:
    found: list[tuple[str, StreamObject]] = []
    for attachment in PdfReader(BytesIO(content), strict=strict).attachment_list:
        stream = _stream_of(attachment.pdf_object)
        if stream is not None:
            found.append((str(attachment.name), stream))
        if len(found) >= MAX_ATTACHMENTS:
            break
    return found


@lru_cache(maxsize=16)
def _pypdf_limits(base: Configuration, max_bytes: int) -> Configuration:
    """pypdf's own decoding limits (of the configuration `base`), lowered to the invoice size limit; built once."""
    return base.with_overwrites(
        zlib_maximum_output_length=max_bytes, lzw_maximum_output_length=max_bytes,
        run_length_maximum_output_length=max_bytes, array_based_stream_maximum_output_length=max_bytes,
        brotli_maximum_output_length=max_bytes, stream_decoding_work_maximum_length=4 * max_bytes)


def _stream_of(filespec: DictionaryObject) -> StreamObject | None:
    embedded = filespec.get("/EF")
    if embedded is None:
        return None
    embedded = embedded.get_object()
    for key in ("/UF", "/F"):
        if key in embedded:
            stream = embedded[key].get_object()
            return stream if isinstance(stream, StreamObject) else None
    return None


def _choose(attachments: list[tuple[str, StreamObject]]) -> tuple[str, StreamObject] | None:
    by_name = {name.lower(): (name, stream) for name, stream in reversed(attachments)}
    for known in KNOWN_NAMES:
        if known in by_name:
            return by_name[known]
    xml_attachments = [(name, stream) for name, stream in attachments if name.lower().endswith(".xml")]
    return xml_attachments[0] if xml_attachments else None


def _inflate(raw: bytes, max_bytes: int) -> bytes:
    inflater = zlib.decompressobj()
    data = inflater.decompress(raw, max_bytes + 1)
    if len(data) > max_bytes or inflater.unconsumed_tail:
        raise OverflowError(f"expands to more than {max_bytes:,} bytes (compression bomb)")
    if not inflater.eof:
        raise ValueError("the compressed stream is truncated")
    return data


def _filters(stream: StreamObject) -> list[str]:
    value = stream.get("/Filter")
    if value is None:
        return []
    value = value.get_object()
    return [str(item) for item in value] if isinstance(value, list) else [str(value)]


def decode_attachment(stream: StreamObject, max_bytes: int) -> bytes:
    """The decoded bytes of one embedded-file stream, never more than `max_bytes`."""
    filters = _filters(stream)
    if filters == ["/FlateDecode"] and stream.get("/DecodeParms") is None:
        data = _inflate(bytes(stream._data), max_bytes)
    else:
        with apply_configuration(_pypdf_limits(get_configuration(), max_bytes)):
            data = stream.get_data()
    if len(data) > max_bytes:
        raise OverflowError(f"is {len(data):,} bytes, more than the limit of {max_bytes:,}")
    return bytes(data)


def _declared_size(stream: StreamObject) -> int | None:
    params = stream.get("/Params")
    size = params.get_object().get("/Size") if params is not None else None
    return int(size) if isinstance(size, int) else None


def embedded_invoice_xml(content: bytes, filename: str, *, max_bytes: int) -> EmbeddedXml | None:
    """The invoice XML attached to the PDF `content`, or None when it has none (a paper-like PDF)."""
    chosen = _choose(_attachments(content, filename, max_bytes))
    if chosen is None:
        return None
    name, stream = chosen
    try:
        declared = _declared_size(stream)
        if declared is not None and declared > max_bytes:
            raise OverflowError(f"declares {declared:,} bytes, more than the limit of {max_bytes:,}")
        data = decode_attachment(stream, max_bytes)
    except (OverflowError, *_READ_ERRORS) as exc:
        raise UnreadableInvoice(filename, f"embedded {name} cannot be decoded: {exc}") from None
    if not data.strip():
        raise UnreadableInvoice(filename, f"embedded {name} is empty")
    if name.lower() not in KNOWN_NAMES and not any(marker in data[:4096] for marker in INVOICE_ROOT_MARKERS):
        return None
    return EmbeddedXml(name, data)
