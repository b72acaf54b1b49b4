"""The e-invoice mailbox, read over IMAP (`akte mail fetch`, and the worker every AKTE_MAIL_POLL_SECONDS).

Each message is stored in one transaction: the message itself as an `.eml` document of the intake inbox,
each PDF or XML attachment as a received item (a message with neither becomes an item itself, which
processing will find to be no e-invoice). Only after that commit is the message marked `\\Seen` (and moved
to AKTE_IMAP_DONE_FOLDER when set), so a crash in between reads it again — and finds it stored: messages
are idempotent by Message-ID (by the SHA-256 of the raw message when it has none).

What is refused, recorded as a rejected item with the reason and never unpacked: ZIP archives (a
compressed file can hide any amount of data), attachments over AKTE_INTAKE_MAX_BYTES and messages over
twice that. Other attachments (images, signatures) stay inside the kept `.eml`.
"""

from __future__ import annotations

import email
import email.utils
import hashlib
import imaplib
import io
import ipaddress
import logging
import re
import ssl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from email import policy
from email.message import Message
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.exc import IntegrityError

from core.bootstrap import Services
from core.db import UnitOfWork
from core.errors import ConfigurationError, Conflict, Unavailable, ValidationFailed
from core.settings import Settings
from intake.filing import inbox_file, intake_principal
from intake.models import IntakeMail
from intake.receive import receive_file, record_refused, register_document
from intake.rendering import name_part
from records.access import Principal
from records.documents import Upload, add_document

log = logging.getLogger(__name__)

ACTOR = "intake:mail"
FETCH_LIMIT = 50  # messages per round; the worker comes back at once when there were more
TIMEOUT_SECONDS = 60
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
ZIP_REFUSED = ("ZIP archives are not unpacked (a compressed file can hide any amount of data); "
               "send the invoice XML or PDF itself")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    kind: str  # pdf | xml | zip


@dataclass
class FetchReport:
    """What one round of reading the mailbox did."""

    stored: int = 0  # new messages stored
    known: int = 0  # messages stored before (marked again)
    refused: int = 0  # messages too large to take
    failed: list[str] = field(default_factory=list)  # messages left unread for the next round, and why
    items: list[str] = field(default_factory=list)  # ids of the items received
    more: bool = False  # the mailbox had more messages than one round takes


@dataclass(frozen=True)
class StoredMail:
    message_key: str
    already_stored: bool
    items: list[str]


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # a malformed header must not stop the message from being kept
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def message_key(message: Message, raw: bytes) -> str:
    """The Message-ID (`<…>`), or `sha256:` of the raw message when it has none (or a useless one)."""
    found = _header(message, "Message-ID")
    if 3 <= len(found) <= 250 and found.startswith("<") and found.endswith(">"):
        return found
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def sender_of(message: Message) -> str | None:
    address = email.utils.parseaddr(_header(message, "From"))[1]
    return address[:320] or None


def _kind(content: bytes) -> str | None:
    head = content[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    if content.startswith(ZIP_MAGIC):
        return "zip"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"<"):
        return "xml"
    return None


def attachments(message: Message) -> Iterator[Attachment]:
    """The PDF, XML and ZIP attachments of a message, also inside attached messages (forwards)."""
    for number, part in enumerate(message.walk(), start=1):
        if part.is_multipart():
            continue
        try:
            filename = part.get_filename()
            disposition = part.get_content_disposition()
        except Exception as exc:  # a malformed part header: the part stays inside the kept .eml
            log.info("skipping a part with a malformed header: %s", exc)
            continue
        if not filename and disposition != "attachment":
            continue  # the message text
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes) or not payload:
            continue
        kind = _kind(payload)
        if kind is None:
            continue
        name = _attachment_name(filename, number, kind)
        yield Attachment(name, payload, kind)


def _attachment_name(filename: str | None, number: int, kind: str) -> str:
    cleaned = re.sub(r"[\x00-\x1f\x7f/\\]+", "_", filename or "").strip(" .")[:200]
    return cleaned or f"Anhang-{number}.{kind}"


def store_message(uow: UnitOfWork, services: Services, raw: bytes, folder: str) -> StoredMail:
    """Store one message and its attachments (the caller commits); a message stored before is left alone."""
    message = email.message_from_bytes(raw, policy=policy.default)
    key = message_key(message, raw)
    if uow.session.get(IntakeMail, key) is not None:
        return StoredMail(key, True, [])
    settings = services.settings
    principal = Principal.system(ACTOR)
    sender, subject = sender_of(message), _header(message, "Subject")[:500] or "(ohne Betreff)"
    inbox = inbox_file(uow, services.clock, settings)
    eml = add_document(uow, services.records, intake_principal(ACTOR, settings),
                       Upload(io.BytesIO(raw), f"{name_part(subject, 'E-Mail')}.eml", "message/rfc822"),
                       file_id=inbox.id, title=f"E-Mail: {subject}"[:500])
    items: list[str] = []
    for attachment in attachments(message):
        items.append(str(_take(uow, services, principal, attachment, key, sender)))
    if not items:  # nothing attached to take: the message itself is the item
        items.append(str(register_document(uow, services, principal, eml, "mail", message_key=key,
                                           sender=sender).id))
    uow.session.add(IntakeMail(message_key=key, subject=subject, sender=sender, folder=folder[:255],
                               received_at=services.clock.now(), size=len(raw), document_id=eml.id,
                               attachments=len(items)))
    return StoredMail(key, False, items)


def _take(uow: UnitOfWork, services: Services, principal: Principal, attachment: Attachment, key: str,
          sender: str | None) -> object:
    digest = hashlib.sha256(attachment.content).hexdigest()
    if attachment.kind == "zip":
        return record_refused(uow, services, principal, "mail", attachment.filename, ZIP_REFUSED, sha256=digest,
                              size=len(attachment.content), message_key=key, sender=sender).id
    upload = Upload(io.BytesIO(attachment.content), attachment.filename, None)
    try:
        return receive_file(uow, services, principal, upload, "mail", message_key=key, sender=sender).id
    except ValidationFailed as exc:  # too large, a name or kind that is not accepted: recorded, not stored
        return record_refused(uow, services, principal, "mail", attachment.filename, exc.message, sha256=digest,
                              size=len(attachment.content), message_key=key, sender=sender).id


def refuse_message(uow: UnitOfWork, services: Services, key: str, subject: str, sender: str | None, folder: str,
                   size: int, reason: str) -> str | None:
    """Record a message that is not taken at all (too large): an intake_mail row and a rejected item; None
    when it was recorded before."""
    if uow.session.get(IntakeMail, key) is not None:
        return None
    uow.session.add(IntakeMail(message_key=key, subject=subject[:500], sender=sender, folder=folder[:255],
                               received_at=services.clock.now(), size=size, document_id=None, attachments=1,
                               error=reason))
    view = record_refused(uow, services, Principal.system(ACTOR), "mail", f"{name_part(subject, 'E-Mail')}.eml",
                          reason, size=size, message_key=key, sender=sender)
    return str(view.id)


# --- IMAP ----------------------------------------------------------------------------------------------------

def _mailbox(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@contextmanager
def mailbox(settings: Settings) -> Iterator[imaplib.IMAP4]:
    """A logged-in IMAP connection: imaps:// (TLS), or imap:// with STARTTLS — plain text only to localhost."""
    if not settings.imap_url:
        raise ConfigurationError("no mailbox configured: set AKTE_IMAP_URL, AKTE_IMAP_USER and AKTE_IMAP_PASSWORD")
    if not settings.imap_user or settings.imap_password is None:
        raise ConfigurationError("AKTE_IMAP_USER and AKTE_IMAP_PASSWORD are needed to read the mailbox")
    url = urlsplit(settings.imap_url)
    host = url.hostname or ""
    try:
        client: imaplib.IMAP4
        if url.scheme == "imaps":
            client = imaplib.IMAP4_SSL(host, url.port or 993, ssl_context=ssl.create_default_context(),
                                       timeout=TIMEOUT_SECONDS)
        else:
            client = imaplib.IMAP4(host, url.port or 143, timeout=TIMEOUT_SECONDS)
            if "STARTTLS" in client.capabilities:
                client.starttls(ssl.create_default_context())
            elif not _loopback(host):
                client.shutdown()
                raise ConfigurationError(f"{host} offers no STARTTLS: the password would travel unencrypted; "
                                         "use imaps://")
        client.login(settings.imap_user, settings.imap_password.get_secret_value())
    except (OSError, imaplib.IMAP4.error) as exc:
        raise Unavailable(f"the mailbox {settings.imap_url} cannot be read: {exc}") from None
    try:
        yield client
    finally:
        with suppress(OSError, imaplib.IMAP4.error):
            client.logout()


def _ok(response: tuple[str, list[Any]], what: str) -> list[Any]:
    status, data = response
    if status != "OK":
        raise Unavailable(f"IMAP {what} failed: {data!r}")
    return data


def _literal(data: list[Any]) -> tuple[bytes, bytes]:
    """(the response line, the literal) of a FETCH answer for one message."""
    for entry in data:
        if isinstance(entry, tuple) and len(entry) == 2:
            return bytes(entry[0]), bytes(entry[1])
    raise Unavailable(f"unexpected IMAP FETCH answer: {data!r}"[:300])


def _mark_done(client: imaplib.IMAP4, uid: str, settings: Settings) -> None:
    _ok(client.uid("STORE", uid, "+FLAGS.SILENT", "(\\Seen)"), "STORE")
    if not settings.imap_done_folder:
        return
    target = _mailbox(settings.imap_done_folder)
    if "MOVE" in client.capabilities:
        _ok(client.uid("MOVE", uid, target), "MOVE")
        return
    _ok(client.uid("COPY", uid, target), "COPY")
    _ok(client.uid("STORE", uid, "+FLAGS.SILENT", "(\\Deleted)"), "STORE")
    _ok(client.expunge(), "EXPUNGE")


def _in_transaction(services: Services, key: str | None, work: Callable[[UnitOfWork], object]) -> object | None:
    """Run `work` in its own transaction. A conflict (a concurrent reader stored the same message, or the
    same attachment arrived through another channel at this moment) gives None when the message is stored
    now, and is raised otherwise — the message stays unread and is tried again next round."""
    try:
        with services.db.unit_of_work() as uow:
            result = work(uow)
            uow.commit()
            return result
    except (Conflict, IntegrityError):
        with services.db.session() as session:
            if key is not None and session.get(IntakeMail, key) is not None:
                return None
        raise


def _one(client: imaplib.IMAP4, services: Services, uid: str, report: FetchReport) -> None:
    settings, folder = services.settings, services.settings.imap_folder
    limit = 2 * settings.intake_max_bytes
    line, header = _literal(_ok(client.uid(
        "FETCH", uid, "(RFC822.SIZE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID FROM SUBJECT)])"), "FETCH"))
    size_match = re.search(rb"RFC822\.SIZE (\d+)", line)
    size = int(size_match.group(1)) if size_match else 0
    if size > limit:
        headers = email.message_from_bytes(header, policy=policy.default)
        key = message_key(headers, header + uid.encode())
        reason = f"the message is larger than {limit} bytes (twice AKTE_INTAKE_MAX_BYTES); it was not taken"
        if _in_transaction(services, key, lambda uow: refuse_message(
                uow, services, key, _header(headers, "Subject") or "(ohne Betreff)", sender_of(headers), folder,
                size, reason)) is not None:
            report.refused += 1
        _mark_done(client, uid, settings)
        return
    _line, raw = _literal(_ok(client.uid("FETCH", uid, "(BODY.PEEK[])"), "FETCH"))
    key = message_key(email.message_from_bytes(raw, policy=policy.default), raw)
    stored = _in_transaction(services, key, lambda uow: store_message(uow, services, raw, folder))
    if isinstance(stored, StoredMail) and not stored.already_stored:
        report.stored += 1
        report.items.extend(stored.items)
    else:
        report.known += 1
    _mark_done(client, uid, settings)


def fetch_mail(services: Services, *, limit: int = FETCH_LIMIT) -> FetchReport:
    """Read up to `limit` new messages of AKTE_IMAP_FOLDER, store each, then mark it read (and move it)."""
    settings = services.settings
    report = FetchReport()
    with mailbox(settings) as client:
        _ok(client.select(_mailbox(settings.imap_folder)), f"SELECT {settings.imap_folder}")
        criteria = ("UNDELETED",) if settings.imap_done_folder else ("UNSEEN", "UNDELETED")
        found = _ok(client.uid("SEARCH", *criteria), "SEARCH")
        uids = [uid.decode() for uid in (found[0] or b"").split()] if found else []
        report.more = len(uids) > limit
        for uid in uids[:limit]:
            try:
                _one(client, services, uid, report)
            except (OSError, imaplib.IMAP4.error):
                raise
            except Exception as exc:  # this message stays unread and is tried again; the others go on
                log.exception("storing message %s of the e-invoice mailbox failed", uid)
                report.failed.append(f"message {uid}: {getattr(exc, 'message', None) or exc}")
    return report


class MailPoller:
    """The worker step: reads the mailbox when AKTE_MAIL_POLL_SECONDS have passed (at once while more wait);
    a mailbox that cannot be reached is logged and tried again next time, never stopping the worker."""

    def __init__(self, services: Services, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.services = services
        self.monotonic = monotonic
        self.next_at = 0.0

    def __call__(self) -> int:
        settings = self.services.settings
        if not settings.imap_url or self.monotonic() < self.next_at:
            return 0
        self.next_at = self.monotonic() + settings.mail_poll_seconds
        try:
            report = fetch_mail(self.services)
        except Exception as exc:
            log.warning("reading the e-invoice mailbox failed: %s", exc)
            return 0
        if report.more:
            self.next_at = 0.0
        return report.stored + report.refused

