"""The worker's second search step: drain the outbox into the index.

Events are claimed (`SKIP LOCKED`), turned into index entries from the database and written; the database
backends write in the same transaction that deletes the events, so an index update is never lost and never
half-done. Elasticsearch writes are idempotent upserts: a crash before the commit repeats them.
"""

from __future__ import annotations

from core import outbox
from core.db import Database, UnitOfWork
from records.audit import INDEX_TOPIC
from search.context import SearchContext
from search.entries import EntryBuilder


def _index(uow: UnitOfWork, ctx: SearchContext, builder: EntryBuilder, target: tuple[str, str]) -> str | None:
    try:
        with uow.session.begin_nested():
            changes = builder.changes_for(*target)
            bind = uow.session.connection()
            ctx.index.delete(changes.deletes, bind=bind)
            ctx.index.upsert(changes.upserts, bind=bind)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def drain(db: Database, ctx: SearchContext, *, limit: int = 200) -> int:
    """Index up to `limit` outbox events in one transaction; returns how many were handled."""
    now = ctx.records.clock.now()
    with db.unit_of_work() as uow:
        events = outbox.claim(uow, INDEX_TOPIC, now, limit)
        if not events:
            return 0
        builder = EntryBuilder(uow, ctx.records)
        errors: dict[tuple[str, str], str | None] = {}  # per target: None when indexed
        for event in events:
            target = (event.entity_type, event.entity_id)
            if target not in errors:
                errors[target] = _index(uow, ctx, builder, target)
            error = errors[target]
            if error is None:
                outbox.done(uow, event)
            else:  # kept for a later attempt; the rest of the batch goes on
                outbox.retry_later(event, now, error)
        uow.commit()
    return len(events)
