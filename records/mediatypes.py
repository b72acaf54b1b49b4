"""Media types decided from content (magic bytes via `filetype`, text heuristics), never from the client.

The client's declared type and the file name's extension are only checked against what the content is:
a PNG sent as `invoice.pdf` or as `application/pdf` is refused.
"""

from __future__ import annotations

import mimetypes
import re

import filetype

from core.errors import ValidationFailed

OCTET_STREAM = "application/octet-stream"
ACCEPTED = frozenset({
    "application/pdf", "image/png", "image/jpeg", "image/tiff", "image/gif", "image/webp",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
    "text/plain", "text/csv", "text/markdown", "application/json", "application/xml", "message/rfc822",
    "text/html",  # e.g. the readable rendering of an e-invoice; served only as a download, never inline
})
# what a plain-text sniff may be refined to by the file name's extension
TEXT_REFINEMENTS = frozenset({"text/plain", "text/csv", "text/markdown", "application/json", "application/xml",
                              "text/html"})
ALIASES = {"text/xml": "application/xml", "image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg"}
MAIL_HEADER = re.compile(rb"^(Received|Return-Path|From|To|Subject|Date|Message-ID|MIME-Version|Delivered-To):",
                         re.IGNORECASE | re.MULTILINE)


def _normal(media_type: str | None) -> str | None:
    if not media_type:
        return None
    base = media_type.split(";", 1)[0].strip().lower()
    return ALIASES.get(base, base)


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3  # only a character cut off at the end of the sniffed head
    return True


def _sniff_text(head: bytes) -> str:
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:14].lower() == b"<!doctype html" or stripped[:5].lower() == b"<html":
        return "text/html"
    if stripped.startswith(b"<?xml") or re.match(rb"<[A-Za-z][\w:.-]*[\s>]", stripped):
        return "application/xml"
    if len(MAIL_HEADER.findall(head[:4096])) >= 2:
        return "message/rfc822"
    return "text/plain"


def sniff(head: bytes) -> str:
    """The media type the first bytes of a blob show; `application/octet-stream` when unknown."""
    kind = filetype.guess(head) if head else None
    if kind is not None:
        return _normal(kind.mime) or OCTET_STREAM
    return _sniff_text(head) if head and _is_text(head) else OCTET_STREAM


def decide(head: bytes, filename: str, declared: str | None) -> str:
    """The media type to store, after checking it is accepted and agrees with the name and declaration."""
    sniffed = sniff(head)
    by_name = _normal(mimetypes.guess_type(filename, strict=False)[0])
    if sniffed == "text/plain" and by_name in TEXT_REFINEMENTS:
        sniffed = by_name
    if sniffed not in ACCEPTED:
        shown = "unrecognised binary data" if sniffed == OCTET_STREAM else sniffed
        raise ValidationFailed(f"{filename}: files of this kind ({shown}) are not accepted",
                               {"file": f"not accepted: {shown}"})
    claimed = _normal(declared)
    if claimed and claimed != OCTET_STREAM and claimed != sniffed and not _text_family(claimed, sniffed):
        raise ValidationFailed(f"{filename}: the content is {sniffed}, not {claimed} as declared",
                               {"file": f"content is {sniffed}, declared {claimed}"})
    if by_name and by_name != sniffed and not _text_family(by_name, sniffed):
        raise ValidationFailed(f"{filename}: the content is {sniffed}, which does not match the file name",
                               {"file": f"content is {sniffed}, name suggests {by_name}"})
    return sniffed


def _text_family(a: str, b: str) -> bool:
    return a in TEXT_REFINEMENTS | {"message/rfc822"} and b in TEXT_REFINEMENTS | {"message/rfc822"}
