"""The append-only audit trail, chained by SHA-256: each entry's hash covers its fields and the previous hash.

Appends are serialised through the single `audit_head` row (locked `FOR UPDATE` on PostgreSQL; SQLite has
one writer anyway), so the chain never forks and sequence numbers have no gaps. Write the entry as late as
possible in a transaction: the head row stays locked until commit.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from core import outbox
from core.db import UnitOfWork
from records.models import AuditEntry, AuditHead

GENESIS_HASH = "0" * 64


def _plain(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """JSON-native copy (dates, UUIDs as strings) so the stored value and the hashed value are the same."""
    if value is None:
        return None
    plain: dict[str, Any] = json.loads(json.dumps(value, default=str))
    return plain


def entry_hash(entry: AuditEntry) -> str:
    """The hash an entry must carry, recomputed from its fields and its `prev_hash`."""
    fields = {
        "seq": entry.seq,
        "at": entry.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": entry.actor,
        "action": entry.action,
        "entity_type": entry.entity_type,
        "entity_id": entry.entity_id,
        "file_id": str(entry.file_id) if entry.file_id else None,
        "before": entry.before,
        "after": entry.after,
        "prev_hash": entry.prev_hash,
    }
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


# built once: every audited change locks the head
_LOCKED_HEAD = select(AuditHead).where(AuditHead.id == 1).with_for_update().execution_options(populate_existing=True)


def _locked_head(uow: UnitOfWork) -> AuditHead:
    head = uow.session.scalars(_LOCKED_HEAD).one_or_none()
    if head is None:  # an emptied database: the anchor is laid again
        head = AuditHead(id=1, last_seq=0, last_hash=GENESIS_HASH)
        uow.session.add(head)
    return head


def record(
    uow: UnitOfWork, *, actor: str, action: str, entity_type: str, entity_id: str | uuid.UUID, at: datetime,
    file_id: uuid.UUID | None = None, before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry (who did what to which entity, with the state before and after) to the chain."""
    head = _locked_head(uow)
    entry = AuditEntry(
        seq=head.last_seq + 1, at=at.astimezone(UTC), actor=actor, action=action, entity_type=entity_type,
        entity_id=str(entity_id), file_id=file_id, before=_plain(before), after=_plain(after),
        prev_hash=head.last_hash,
    )
    entry.hash = entry_hash(entry)
    head.last_seq, head.last_hash = entry.seq, entry.hash
    uow.session.add(entry)
    if action != "read":  # every audited change is also an event for the search index
        outbox.enqueue(uow, outbox.INDEX_TOPIC, entity_type, str(entity_id), at)
    return entry


@dataclass(frozen=True)
class ChainReport:
    """Outcome of `verify`: how many entries were checked and the first broken one, if any."""

    checked: int
    broken_seq: int | None = None
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_seq is None


def _entries(uow: UnitOfWork, batch: int) -> Iterator[AuditEntry]:
    last = 0
    while True:
        page = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.seq > last).order_by(AuditEntry.seq).limit(batch)
        ).all()
        if not page:
            return
        yield from page
        last = page[-1].seq
        uow.session.expunge_all()


def verify(uow: UnitOfWork, *, batch: int = 1000) -> ChainReport:
    """Recompute the whole chain in order (constant memory) and name the first entry that does not fit."""
    expected_prev, expected_seq, checked = GENESIS_HASH, 1, 0
    for entry in _entries(uow, batch):
        if entry.seq != expected_seq:
            return ChainReport(checked, expected_seq, f"entry {expected_seq} is missing")
        if entry.prev_hash != expected_prev:
            return ChainReport(checked, entry.seq, "its previous-hash does not match the entry before it")
        if entry_hash(entry) != entry.hash:
            return ChainReport(checked, entry.seq, "its content does not match its hash (changed after writing)")
        expected_prev, expected_seq, checked = entry.hash, entry.seq + 1, checked + 1
    head = uow.session.get(AuditHead, 1)
    if head is not None and head.last_seq > checked:
        return ChainReport(checked, checked + 1, f"entries {checked + 1}..{head.last_seq} were removed")
    return ChainReport(checked)


def history(uow: UnitOfWork, *, file_id: uuid.UUID, limit: int = 500) -> list[AuditEntry]:
    """The newest audit entries about one file and everything in it."""
    query = select(AuditEntry).where(AuditEntry.file_id == file_id).order_by(AuditEntry.seq.desc()).limit(limit)
    return list(uow.session.scalars(query))
