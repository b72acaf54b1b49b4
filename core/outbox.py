"""The transactional outbox: work that must follow a commit (indexing, clean-up) is written as a row in the
same transaction as the change, and drained afterwards by the worker.

Consumers claim rows with `FOR UPDATE SKIP LOCKED` (PostgreSQL; SQLite has one writer), handle them and
delete them in the same transaction. Handling must be idempotent: a crash after handling but before the
commit hands the row to the next worker again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import BigInteger, Index, Integer, String, Text, func, select, update
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UnitOfWork, UTCDateTime

MAX_BACKOFF = timedelta(hours=1)
MAX_ATTEMPTS = 10  # then the event is parked as failed (visible, retried on request) instead of forever
INDEX_TOPIC = "index"  # changes the search index must follow (drained by search.indexer)


class OutboxEvent(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "topic", "available_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    topic: Mapped[str] = mapped_column(String(32))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    available_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


def enqueue(uow: UnitOfWork, topic: str, entity_type: str, entity_id: str, now: datetime) -> None:
    """Add an event; it becomes visible to consumers when (and only if) the transaction commits."""
    uow.session.add(OutboxEvent(topic=topic, entity_type=entity_type, entity_id=entity_id, created_at=now,
                                available_at=now, attempts=0))


def claim(uow: UnitOfWork, topic: str, now: datetime, limit: int) -> Sequence[OutboxEvent]:
    """Lock up to `limit` due events of `topic`, oldest first; other workers skip them."""
    query = (select(OutboxEvent).where(OutboxEvent.topic == topic, OutboxEvent.available_at <= now,
                                       OutboxEvent.failed_at.is_(None))
             .order_by(OutboxEvent.id).limit(limit).with_for_update(skip_locked=True))
    return uow.session.scalars(query).all()


def done(uow: UnitOfWork, event: OutboxEvent) -> None:
    uow.session.delete(event)


def retry_later(event: OutboxEvent, now: datetime, error: str) -> None:
    """Keep the event for another attempt after an exponential backoff (capped at an hour); after
    MAX_ATTEMPTS it is parked as failed."""
    event.attempts += 1
    event.last_error = error[:2000]
    event.available_at = now + min(MAX_BACKOFF, timedelta(seconds=5 * 2 ** min(event.attempts, 12)))
    if event.attempts >= MAX_ATTEMPTS:
        event.failed_at = now


def failed(uow: UnitOfWork, topic: str, limit: int = 200) -> Sequence[OutboxEvent]:
    """Parked events of `topic`, oldest first."""
    return uow.session.scalars(select(OutboxEvent).where(OutboxEvent.topic == topic, OutboxEvent.failed_at.is_not(None))
                               .order_by(OutboxEvent.id).limit(limit)).all()


def retry_failed(uow: UnitOfWork, topic: str, now: datetime) -> int:
    """Make every parked event of `topic` due again with a fresh count of attempts; returns how many."""
    statement = (update(OutboxEvent).where(OutboxEvent.topic == topic, OutboxEvent.failed_at.is_not(None))
                 .values(failed_at=None, attempts=0, available_at=now))
    return int(uow.session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]


def pending(uow: UnitOfWork, topic: str) -> int:
    """Events of `topic` still to be handled (parked ones not counted)."""
    query = select(func.count()).select_from(OutboxEvent).where(OutboxEvent.topic == topic,
                                                                 OutboxEvent.failed_at.is_(None))
    return int(uow.session.scalar(query) or 0)
