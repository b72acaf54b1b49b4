"""The worker's second search step: drain the outbox into the index.

Events are claimed (`SKIP LOCKED`), turned into index entries from the database and written; the database
backends write in the same transaction that deletes the events, so an index update is never lost and never
half-done. Elasticsearch writes are idempotent upserts: a crash before the commit repeats them.
"""

from __future__ import annotations

from sqlalchemy.exc import OperationalError

from core import outbox
from core.db import Database, UnitOfWork
from core.errors import Conflict
from search.context import SearchContext
from search.entries import EntryBuilder


def _index(uow: UnitOfWork, ctx: SearchContext, builder: EntryBuilder, target: tuple[str, str]) -> str | None:
    try:
        with uow.session.begin_nested():
            changes = builder.changes_for(*target)
            bind = uow.session.connection()
            ctx.index.delete(changes.deletes, bind=bind)
            ctx.index.upsert(changes.upserts, bind=bind)
    except OperationalError:
        raise  # the database itself (e.g. a concurrent worker on SQLite): the whole batch waits
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def drain(db: Database, ctx: SearchContext, *, limit: int = 200) -> int:
    """Index up to `limit` outbox events in one transaction; returns how many were handled (0 when another
    worker won the race for them: SQLite has no SKIP LOCKED)."""
    try:
        return _drain(db, ctx, limit)
    except Conflict:
        return 0


def _drain(db: Database, ctx: SearchContext, limit: int) -> int:
    now = ctx.records.clock.now()
    with db.unit_of_work() as uow:
        events = outbox.claim(uow, outbox.INDEX_TOPIC, now, limit)
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
