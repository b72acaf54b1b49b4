"""Receiving: each item is stored first — a document in the intake inbox file and an `intake_item` row, in
the caller's transaction — and processed later by the worker (`intake.process`).

Idempotent by content: a file whose SHA-256 was received before is not stored again; the earlier item is
returned (`already_received`). The content is spooled (and hashed) before anything is written, so a file
that is too large or empty leaves nothing behind, and a duplicate never reaches the document store.
"""

from __future__ import annotations

import hashlib
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

from sqlalchemy import bindparam, or_, select
from sqlalchemy.exc import IntegrityError

from core.bootstrap import Services
from core.db import UnitOfWork
from core.errors import Conflict, NotFound, ValidationFailed
from core.ids import parse_uuid
from intake.filing import inbox_file, intake_principal
from intake.models import STATUSES, IntakeItem
from intake.views import ReceivedView
from records.access import Principal, visible_files
from records.documents import Upload, add_document
from records.filenames import clean_filename
from records.models import RecordFile
from records.views import DocumentView

CHUNK = 1024 * 1024
SPOOL_IN_MEMORY = 1024 * 1024  # larger files are spooled to a temporary file
CHANNELS = ("upload", "api", "cli", "dropfolder", "mail")


@dataclass(frozen=True)
class Spooled:
    """A received file's content, hashed, ready to be read again from the start."""

    stream: IO[bytes]
    sha256: str
    size: int


@contextmanager
def spooled(stream: IO[bytes], limit: int, filename: str) -> Iterator[Spooled]:
    """Read `stream` to its end (at most `limit` bytes) while hashing it; the copy is removed afterwards."""
    target = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115  (closed in finally)
    try:
        digest, size = hashlib.sha256(), 0
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise ValidationFailed(f"{filename} is larger than the intake limit of {limit} bytes "
                                       "(AKTE_INTAKE_MAX_BYTES)", {"file": f"larger than {limit} bytes"})
            digest.update(chunk)
            target.write(chunk)
        if size == 0:
            raise ValidationFailed(f"{filename} is empty", {"file": "empty"})
        target.seek(0)
        yield Spooled(target, digest.hexdigest(), size)
    finally:
        target.close()


# Statements run for every received item are built once (SQLAlchemy then skips building and keying them).
_BY_CONTENT = select(IntakeItem).where(IntakeItem.sha256 == bindparam("sha256"))


def _existing(uow: UnitOfWork, sha256: str) -> IntakeItem | None:
    return uow.session.scalars(_BY_CONTENT, {"sha256": sha256}).one_or_none()


def _flush(uow: UnitOfWork, filename: str) -> None:
    try:
        uow.flush()
    except IntegrityError:  # the same content (or the inbox file) is being stored by someone else right now
        raise Conflict(f"{filename} is being received by another request at this moment; try again") from None


def receive_file(
    uow: UnitOfWork, services: Services, principal: Principal, upload: Upload, channel: str, *,
    message_key: str | None = None, sender: str | None = None,
) -> ReceivedView:
    """Store one file as a received item (or find it stored before); the caller commits."""
    if channel not in CHANNELS:
        raise ValidationFailed(f"unknown intake channel {channel!r}", {"channel": f"one of {', '.join(CHANNELS)}"})
    settings, clock = services.settings, services.clock
    filename = clean_filename(upload.filename)
    with spooled(upload.stream, settings.intake_max_bytes, filename) as content:
        earlier = _existing(uow, content.sha256)
        if earlier is not None:
            return ReceivedView.of(earlier, already_received=True)
        inbox = inbox_file(uow, clock, settings)
        document = add_document(uow, services.records, intake_principal(principal.name, settings),
                                Upload(content.stream, filename, upload.declared_type), file_id=inbox.id,
                                title=f"Eingang: {filename}"[:500])
    return register_document(uow, services, principal, document, channel, message_key=message_key, sender=sender)


def register_document(
    uow: UnitOfWork, services: Services, principal: Principal, document: DocumentView, channel: str, *,
    message_key: str | None = None, sender: str | None = None,
) -> ReceivedView:
    """Make a document just stored in the intake inbox a received item (e.g. an e-mail without attachments)."""
    version = document.versions[0]
    now = services.clock.now()
    item = IntakeItem(
        id=uuid.uuid4(), channel=channel, filename=version.filename, media_type=version.media_type,
        size=version.size, sha256=version.sha256, message_key=message_key, sender=_bounded(sender, 320),
        received_by=principal.name, received_at=now, status="received", attempts=0, available_at=now,
        inbox_file_id=document.file_id, document_id=document.id, file_id=document.file_id,
        documents={"received": str(document.id)}, findings={},
    )
    uow.session.add(item)
    _flush(uow, version.filename)
    return ReceivedView.of(item)


def receive(
    uow: UnitOfWork, services: Services, principal: Principal, uploads: Iterable[Upload], channel: str = "upload",
    *, message_key: str | None = None, sender: str | None = None,
) -> list[ReceivedView]:
    """Store every upload as a received item, all of them or none (the caller commits); the worker processes
    them afterwards. Files received before come back as they are (`already_received`)."""
    received = [receive_file(uow, services, principal, upload, channel, message_key=message_key, sender=sender)
                for upload in uploads]
    if not received:
        raise ValidationFailed("no file was sent", {"file": "required"})
    return received


def record_refused(
    uow: UnitOfWork, services: Services, principal: Principal, channel: str, filename: str, error: str, *,
    sha256: str | None = None, size: int | None = None, message_key: str | None = None, sender: str | None = None,
) -> ReceivedView:
    """Record an item that could not be stored at all (too large, a kind of file that is not accepted): it is
    `rejected` at once, with the reason, and holds no document."""
    if sha256 is not None:
        earlier = _existing(uow, sha256)
        if earlier is not None:
            return ReceivedView.of(earlier, already_received=True)
    now = services.clock.now()
    item = IntakeItem(
        id=uuid.uuid4(), channel=channel, filename=(filename or "unnamed")[:255], size=size, sha256=sha256,
        message_key=message_key, sender=_bounded(sender, 320), received_by=principal.name, received_at=now,
        status="rejected", attempts=0, available_at=now, error=error[:4000], documents={}, findings={},
        processed_at=now,
    )
    uow.session.add(item)
    _flush(uow, item.filename)
    return ReceivedView.of(item)


def _bounded(value: str | None, limit: int) -> str | None:
    return value[:limit] if value else None


def _visible(principal: Principal) -> object:
    if principal.is_admin:
        return None
    return or_(IntakeItem.received_by == principal.name, visible_files(principal))


def list_items(
    uow: UnitOfWork, principal: Principal, *, status: str | None = None, limit: int = 100,
    before: str | uuid.UUID | None = None,
) -> list[ReceivedView]:
    """Items `principal` may see (those they handed in, and those filed where they see the file), newest
    first; `before` continues after the last item of a page."""
    if status is not None and status not in STATUSES:
        raise ValidationFailed(f"status must be one of {', '.join(STATUSES)}", {"status": "unknown"})
    query = (select(IntakeItem).outerjoin(RecordFile, RecordFile.id == IntakeItem.file_id)
             .order_by(IntakeItem.received_at.desc(), IntakeItem.id.desc()))
    condition = _visible(principal)
    if condition is not None:
        query = query.where(condition)  # type: ignore[arg-type]
    if status:
        query = query.where(IntakeItem.status == status)
    if before is not None:
        anchor = uow.session.get(IntakeItem, parse_uuid(before, "intake item"))
        if anchor is None:
            raise NotFound(f"intake item {before} not found")
        query = query.where(or_(IntakeItem.received_at < anchor.received_at,
                                (IntakeItem.received_at == anchor.received_at) & (IntakeItem.id < anchor.id)))
    return [ReceivedView.of(row) for row in uow.session.scalars(query.limit(max(1, min(limit, 1000))))]


def get_item(uow: UnitOfWork, principal: Principal, item_id: str | uuid.UUID) -> ReceivedView:
    query = (select(IntakeItem).outerjoin(RecordFile, RecordFile.id == IntakeItem.file_id)
             .where(IntakeItem.id == parse_uuid(item_id, "intake item")))
    condition = _visible(principal)
    if condition is not None:
        query = query.where(condition)  # type: ignore[arg-type]
    row = uow.session.scalars(query).one_or_none()
    if row is None:
        raise NotFound(f"intake item {item_id} does not exist or is not visible to {principal.name}")
    return ReceivedView.of(row)
