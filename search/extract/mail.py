"""E-mail (.eml): the main headers, the body (plain text, else HTML reduced to text) and the text of
every attachment of a kind we extract, each under a line naming the attachment."""

from __future__ import annotations

import email
import tempfile
from collections.abc import Callable
from email import policy
from email.message import EmailMessage, Message
from pathlib import Path

from records.mediatypes import sniff
from search.extract.model import Extracted, ExtractionFailed, ExtractionLimits, clip, enough
from search.extract.text import html_text

ExtractFile = Callable[[Path, str, ExtractionLimits], Extracted]

HEADERS = ("From", "To", "Cc", "Subject", "Date")
MAX_DEPTH = 3  # e-mails attached to e-mails attached to … are read this deep
SNIFF_BYTES = 8192


def _decoded(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    try:
        return payload.decode(part.get_content_charset() or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        return payload.decode("utf-8", errors="replace")


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = _decoded(part)
    return html_text(text) if part.get_content_type() == "text/html" else text


def _file_text(data: bytes, limits: ExtractionLimits, extract_file: ExtractFile, depth: int) -> str:
    media_type = sniff(data[:SNIFF_BYTES])
    if media_type == "message/rfc822":
        return _message_text(email.message_from_bytes(data, policy=policy.default), limits, extract_file, depth + 1)
    with tempfile.TemporaryDirectory(prefix="akte-attachment-") as folder:
        copy = Path(folder) / "attachment"  # never the sender's file name: it may hold '../'
        copy.write_bytes(data)
        return extract_file(copy, media_type, limits).text


def _attachment_text(part: EmailMessage, limits: ExtractionLimits, extract_file: ExtractFile, depth: int) -> str:
    label = f"--- Anhang: {part.get_filename() or part.get_content_type()} ---"
    if depth >= MAX_DEPTH:
        return label
    try:
        if part.get_content_type() == "message/rfc822":
            inner = part.get_content()
            text = _message_text(inner, limits, extract_file, depth + 1) if isinstance(inner, EmailMessage) else ""
        else:
            payload = part.get_payload(decode=True)
            text = _file_text(payload, limits, extract_file, depth) if isinstance(payload, bytes) and payload else ""
    except ExtractionFailed as exc:  # one unreadable attachment does not hide the mail and the others
        text = f"(nicht lesbar: {exc})"
    return f"{label}\n{text}" if text else label


def _message_text(message: EmailMessage, limits: ExtractionLimits, extract_file: ExtractFile, depth: int) -> str:
    parts = [f"{name}: {message[name]}" for name in HEADERS if message[name]]
    parts.append(_body(message))
    for attachment in message.iter_attachments():
        if enough(parts, limits):
            break
        parts.append(_attachment_text(attachment, limits, extract_file, depth))
    return "\n\n".join(part.strip() for part in parts if part.strip())


def extract_email(path: Path, limits: ExtractionLimits, extract_file: ExtractFile) -> Extracted:
    """`extract_file` extracts an attachment's text (the dispatcher: attachments may be of any kind)."""
    with path.open("rb") as source:
        message = email.message_from_binary_file(source, policy=policy.default)
    if not isinstance(message, EmailMessage):
        raise ExtractionFailed("e-mail could not be parsed")
    return Extracted(clip(_message_text(message, limits, extract_file, 0), limits), "email", None)
