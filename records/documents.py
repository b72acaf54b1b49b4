"""Documents and their immutable versions: add (streamed into the blob store), list, read content.

The blob is written first; its row, the document row and the audit entry commit together afterwards. A
rejected upload (empty, too large, wrong type) removes its blob at once, a transaction that fails later
removes it on rollback, and a blob whose process died before either (a crash) is removed by
`records.blobgc.collect` (`akte storage gc`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO

from sqlalchemy import select

from core.db import UnitOfWork
from core.errors import Conflict, NotFound, ValidationFailed
from core.ids import parse_uuid
from records import audit
from records.access import Principal, visible_files
from records.cases import resolve_owner
from records.context import RecordsContext
from records.filenames import clean_filename
from records.mediatypes import decide
from records.models import Document, DocumentVersion, RecordFile
from records.views import DocumentView, VersionView
from storage.ports import BlobRef, BlobTooLarge


@dataclass(frozen=True)
class Upload:
    """One uploaded file: its stream (read once, in chunks), original name and the client's declared type."""

    stream: IO[bytes]
    filename: str | None
    declared_type: str | None = None




def _store(uow: UnitOfWork, ctx: RecordsContext, upload: Upload) -> tuple[BlobRef, str, str]:
    """Stream the upload into the blob store and check it; returns (blob, clean name, media type)."""
    filename = clean_filename(upload.filename)
    try:
        ref = ctx.blobs.put(upload.stream, max_bytes=ctx.max_upload_bytes)
    except BlobTooLarge:
        raise ValidationFailed(f"{filename} is larger than the limit of {ctx.max_upload_bytes} bytes",
                               {"file": f"larger than {ctx.max_upload_bytes} bytes"}) from None
    try:
        if ref.size == 0:
            raise ValidationFailed(f"{filename} is empty", {"file": "empty"})
        media_type = decide(ref.head, filename, upload.declared_type)
    except ValidationFailed:
        ctx.blobs.release(ref.key)
        raise
    uow.on_rollback(lambda: ctx.blobs.release(ref.key))  # any later failure leaves no blob behind either
    return ref, filename, media_type


def _version(document_id: uuid.UUID, number: int, ref: BlobRef, filename: str, media_type: str,
             principal: Principal, ctx: RecordsContext) -> DocumentVersion:
    return DocumentVersion(document_id=document_id, number=number, filename=filename, media_type=media_type,
                           size=ref.size, sha256=ref.sha256, blob_key=ref.key, created_at=ctx.clock.now(),
                           created_by=principal.name)


def add_documents(
    uow: UnitOfWork, ctx: RecordsContext, principal: Principal, uploads: Iterable[Upload], *,
    case_id: str | uuid.UUID | None = None, file_id: str | uuid.UUID | None = None, title: str | None = None,
    kind: str | None = None,
) -> list[DocumentView]:
    """Add new documents (version 1 each) to a case, or directly to a file: all of them or none.

    Every upload is streamed into the blob store first (`uploads` may be a lazy stream of parts); rows and
    audit entries are written afterwards, so the audit chain's lock is never held while bytes arrive.
    """
    file, owner_case = resolve_owner(uow, principal, case_id, file_id)
    _require_open(file)
    stored = [_store(uow, ctx, upload) for upload in uploads]
    if not stored:
        raise ValidationFailed("no file was sent", {"file": "required"})
    uow.refresh_for_update(file)  # closed meanwhile? then nothing is added
    _require_open(file)
    now = ctx.clock.now()
    added = []
    for ref, filename, media_type in stored:
        name = (title if title and len(stored) == 1 else filename)[:500]
        document = Document(id=uuid.uuid4(), file_id=file.id, case_id=owner_case, title=name, latest_version=1,
                            kind=kind, created_at=now, created_by=principal.name)
        version = _version(document.id, 1, ref, filename, media_type, principal, ctx)
        uow.session.add_all([document, version])
        added.append((document, version))
    uow.flush()
    for document, version in added:
        audit.record(uow, actor=principal.name, action="create", entity_type="document", entity_id=document.id,
                     at=now, file_id=file.id,
                     after={"case_id": owner_case, "title": document.title, "version": _audited(version)})
    return [DocumentView.of(document, [version]) for document, version in added]


def add_document(
    uow: UnitOfWork, ctx: RecordsContext, principal: Principal, upload: Upload, *,
    case_id: str | uuid.UUID | None = None, file_id: str | uuid.UUID | None = None, title: str | None = None,
    kind: str | None = None,
) -> DocumentView:
    """Add one new document (version 1) to a case, or directly to a file; `kind` says what it is, if known
    (search filters on it: `type:invoice`)."""
    return add_documents(uow, ctx, principal, [upload], case_id=case_id, file_id=file_id, title=title,
                         kind=kind)[0]


def add_version(
    uow: UnitOfWork, ctx: RecordsContext, principal: Principal, document_id: str | uuid.UUID, upload: Upload
) -> DocumentView:
    """Add the next version of a document; earlier versions stay untouched."""
    document, file = _require_document(uow, principal, document_id, for_update=True)
    _require_open(file)
    ref, filename, media_type = _store(uow, ctx, upload)
    document.latest_version += 1
    version = _version(document.id, document.latest_version, ref, filename, media_type, principal, ctx)
    uow.session.add(version)
    uow.flush()
    audit.record(uow, actor=principal.name, action="add_version", entity_type="document", entity_id=document.id,
                 at=version.created_at, file_id=file.id, before={"latest_version": version.number - 1},
                 after={"latest_version": version.number, "version": _audited(version)})
    return DocumentView.of(document, _versions(uow, document.id))


def _audited(version: DocumentVersion) -> dict[str, object]:
    return {"number": version.number, "filename": version.filename, "media_type": version.media_type,
            "size": version.size, "sha256": version.sha256, "blob_key": version.blob_key}


def _require_open(file: RecordFile) -> None:
    if file.status != "open":
        raise Conflict(f"file {file.reference_number} is closed; documents can no longer be added")


def _require_document(
    uow: UnitOfWork, principal: Principal, document_id: str | uuid.UUID, *, for_update: bool = False
) -> tuple[Document, RecordFile]:
    query = (select(Document, RecordFile).join(RecordFile, RecordFile.id == Document.file_id)
             .where(Document.id == parse_uuid(document_id, "document"), visible_files(principal)))
    if for_update:
        query = query.with_for_update(of=Document)
    found = uow.session.execute(query).one_or_none()
    if found is None:
        raise NotFound(f"document {document_id} does not exist or is not visible to {principal.name}")
    return found[0], found[1]


def _versions(uow: UnitOfWork, document_id: uuid.UUID) -> list[DocumentVersion]:
    query = select(DocumentVersion).where(DocumentVersion.document_id == document_id).order_by(DocumentVersion.number)
    return list(uow.session.scalars(query))


def get_document(uow: UnitOfWork, principal: Principal, document_id: str | uuid.UUID) -> DocumentView:
    document, _file = _require_document(uow, principal, document_id)
    return DocumentView.of(document, _versions(uow, document.id))


def list_documents(
    uow: UnitOfWork, principal: Principal, *, case_id: str | uuid.UUID | None = None,
    file_id: str | uuid.UUID | None = None,
) -> list[DocumentView]:
    """Documents of a case, or all documents of a file, oldest first, each with its versions."""
    file, owner_case = resolve_owner(uow, principal, case_id, file_id)
    condition = Document.case_id == owner_case if owner_case else Document.file_id == file.id
    documents = list(uow.session.scalars(select(Document).where(condition).order_by(Document.created_at)))
    versions: dict[uuid.UUID, list[DocumentVersion]] = {document.id: [] for document in documents}
    if documents:
        query = (select(DocumentVersion).where(DocumentVersion.document_id.in_(list(versions)))
                 .order_by(DocumentVersion.number))
        for version in uow.session.scalars(query):
            versions[version.document_id].append(version)
    return [DocumentView.of(document, versions[document.id]) for document in documents]


@dataclass(frozen=True)
class Content:
    """A version chosen for reading: its metadata and blob key (stream it with `RecordsContext.blobs`)."""

    document_id: uuid.UUID
    version: VersionView
    blob_key: str


def read_content(
    uow: UnitOfWork, ctx: RecordsContext, principal: Principal, document_id: str | uuid.UUID,
    number: int | None = None,
) -> Content:
    """Choose a version (default: latest) for reading and audit the read; the caller commits, then streams."""
    document, file = _require_document(uow, principal, document_id)
    wanted = document.latest_version if number is None else number
    version = uow.session.scalars(select(DocumentVersion).where(
        DocumentVersion.document_id == document.id, DocumentVersion.number == wanted)).one_or_none()
    if version is None:
        raise NotFound(f"document {document.id} has no version {wanted}")
    audit.record(uow, actor=principal.name, action="read", entity_type="document", entity_id=document.id,
                 at=ctx.clock.now(), file_id=file.id, after={"version": version.number})
    return Content(document.id, VersionView.of(version), version.blob_key)
