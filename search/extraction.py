"""The worker's first search step: extract the text of documents whose latest version has none yet.

Extraction runs outside any transaction (it may take minutes: OCR), in a child process with a time limit.
Its result — text, or the error — is stored in `document_text` in a short transaction together with an
outbox event that makes the indexer pick the document up. A failure is kept visible (`status=failed`,
`error`) and tried again up to `max_extraction_attempts` times; `retry_failed` starts over.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError

from core import outbox
from core.db import Database
from core.errors import Conflict
from records.models import Document, DocumentVersion
from search.context import SearchContext
from search.extract import Extracted, ExtractionFailed, extract
from search.models import DocumentText

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pending:
    document_id: uuid.UUID
    version: int
    blob_key: str
    media_type: str
    filename: str


def find_pending(db: Database, ctx: SearchContext, limit: int) -> list[Pending]:
    """Documents whose latest version has no extracted text (and has not failed too often)."""
    text = DocumentText.__table__
    query = (select(Document.id, DocumentVersion.number, DocumentVersion.blob_key, DocumentVersion.media_type,
                    DocumentVersion.filename)
             .join(DocumentVersion, and_(DocumentVersion.document_id == Document.id,
                                         DocumentVersion.number == Document.latest_version))
             .outerjoin(text, text.c.document_id == Document.id)
             .where(or_(text.c.document_id.is_(None), text.c.version != Document.latest_version,
                        and_(text.c.status == "failed", text.c.attempts < ctx.max_extraction_attempts)))
             .order_by(Document.created_at).limit(limit))
    with db.session() as session:
        return [Pending(*row) for row in session.execute(query)]


def _extract(ctx: SearchContext, item: Pending) -> Extracted:
    with tempfile.TemporaryDirectory(prefix="akte-extract-") as folder:
        path = Path(folder) / "content"
        with ctx.records.blobs.open(item.blob_key) as source, path.open("wb") as target:
            shutil.copyfileobj(source, target, 1024 * 1024)
        return extract(path, item.media_type, ctx.limits)


def _store(db: Database, ctx: SearchContext, item: Pending, result: Extracted | None, error: str | None) -> None:
    now = ctx.records.clock.now()
    with db.unit_of_work() as uow:
        row = uow.session.get(DocumentText, item.document_id)
        if row is None:
            row = DocumentText(document_id=item.document_id, attempts=0)
            uow.session.add(row)
        if error is None:
            row.attempts = 0
        else:  # failures of this version add up; a new version starts counting again
            row.attempts = row.attempts + 1 if row.version == item.version else 1
        row.version, row.updated_at = item.version, now
        row.status = "failed" if error else "done"
        row.error, row.text = error, result.text if result else ""
        row.method, row.pages = (result.method, result.pages) if result else (None, None)
        outbox.enqueue(uow, outbox.INDEX_TOPIC, "document", str(item.document_id), now)
        uow.commit()


def extract_pending(db: Database, ctx: SearchContext, *, limit: int = 10) -> int:
    """Extract up to `limit` documents; returns how many were handled (successfully or not)."""
    handled = 0
    for item in find_pending(db, ctx, limit):
        try:
            result, error = _extract(ctx, item), None
        except ExtractionFailed as exc:
            result, error = None, str(exc)
        except KeyError:
            result, error = None, "the document's content is missing from the document store"
        if result is not None:  # no database keeps NUL characters
            result = Extracted(result.text.replace("\x00", " "), result.method, result.pages)
        try:
            _store(db, ctx, item, result, error)
        except (Conflict, IntegrityError):  # another worker stored this document's text at the same moment
            continue
        except Exception as exc:  # the text cannot be stored: keep that as the failure, the queue moves on
            log.exception("storing the text of document %s failed", item.document_id)
            _store(db, ctx, item, None, f"the extracted text could not be stored: {type(exc).__name__}")
        handled += 1
    return handled


def retry_failed(db: Database) -> int:
    """Forget failed extractions so the worker tries them again; returns how many."""
    with db.unit_of_work() as uow:
        failed = list(uow.session.scalars(select(DocumentText).where(DocumentText.status == "failed")))
        for row in failed:
            uow.session.delete(row)
        uow.commit()
    return len(failed)
