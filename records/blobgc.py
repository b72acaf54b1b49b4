"""`akte storage gc`: remove blobs that no document version refers to, and unfinished uploads.

A blob is written before the transaction that records it commits; if that transaction never commits (a
crash, a killed upload) the blob is an orphan. Only blobs older than the grace period are considered, so
an upload still in flight is never touched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice

from sqlalchemy import select

from core.db import Database
from records.models import DocumentVersion
from storage.ports import BlobInfo, BlobStore

BATCH = 500


@dataclass(frozen=True)
class CollectReport:
    examined: int
    removed: int
    partials_removed: int


def _batches(items: Iterable[BlobInfo], size: int) -> Iterator[list[BlobInfo]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def collect(
    db: Database, blobs: BlobStore, now: datetime, grace: timedelta,
    progress: Callable[[int], None] | None = None,
) -> CollectReport:
    """Delete unreferenced blobs last modified before `now - grace`; returns what was examined and removed."""
    cutoff = now - grace
    examined = removed = 0
    for batch in _batches((blob for blob in blobs.iter_blobs() if blob.modified_at < cutoff), BATCH):
        keys = [blob.key for blob in batch]
        with db.session() as session:
            query = select(DocumentVersion.blob_key).where(DocumentVersion.blob_key.in_(keys))
            referenced = set(session.scalars(query))
        for key in keys:
            if key not in referenced:
                blobs.delete(key)
                removed += 1
        examined += len(batch)
        if progress is not None:
            progress(examined)
    return CollectReport(examined, removed, blobs.remove_stale_partials(cutoff))
