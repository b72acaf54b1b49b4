"""Rebuild an index from the database, file by file, resumable from a checkpoint.

The checkpoint (the last file id written) lives in a small JSON file; a run that stopped — Ctrl-C, a crash —
continues after it. Text comes from `document_text`: nothing is extracted or OCRed again.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select

from core.db import Database
from records.context import RecordsContext
from records.models import RecordFile
from search.entries import EntryBuilder
from search.ports import SearchIndex

BATCH = 50


def _load(checkpoint: Path) -> uuid.UUID | None:
    try:
        return uuid.UUID(json.loads(checkpoint.read_text())["after_file"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _save(checkpoint: Path, after: uuid.UUID) -> None:
    temporary = checkpoint.with_suffix(".tmp")
    temporary.write_text(json.dumps({"after_file": str(after)}))
    temporary.replace(checkpoint)


def count_files(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(RecordFile)) or 0)


def reindex(db: Database, records: RecordsContext, index: SearchIndex, checkpoint: Path, *,
            restart: bool = False, progress: Callable[[int], None] | None = None) -> int:
    """Write every file with everything in it to `index`; returns how many files were written this run."""
    after = None if restart else _load(checkpoint)
    if after is None:
        index.clear()
    written = 0
    while True:
        with db.unit_of_work() as uow:
            query = select(RecordFile.id).order_by(RecordFile.id).limit(BATCH)
            if after is not None:
                query = query.where(RecordFile.id > after)
            ids = list(uow.session.scalars(query))
            if not ids:
                break
            builder = EntryBuilder(uow, records)
            for file_id in ids:
                index.upsert(builder.changes_for("file", str(file_id)).upserts)
        after = ids[-1]
        _save(checkpoint, after)
        written += len(ids)
        if progress is not None:
            progress(len(ids))
    index.settle()
    checkpoint.unlink(missing_ok=True)
    return written
