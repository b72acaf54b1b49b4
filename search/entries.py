"""What goes into the index for a changed file, case, document or note (built from the database only).

A change of a file (unit, confidentiality, status, title) touches every entry in it; a change of a case
touches the case and what belongs to it; documents carry the text extracted earlier (search.extraction).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from core.db import UnitOfWork
from records.cases import case_status
from records.context import ProcessState, RecordsContext
from records.models import Document, DocumentVersion, Note, RecordCase, RecordFile
from search.models import DocumentText
from search.ports import IndexEntry

DOC_TYPES = {"application/pdf": "pdf", "message/rfc822": "email", "application/xml": "xml",
             "application/json": "text"}


def doc_type(media_type: str) -> str:
    if media_type in DOC_TYPES:
        return DOC_TYPES[media_type]
    family = media_type.split("/", 1)[0]
    return {"image": "image", "text": "text"}.get(family, "office")


@dataclass
class Changes:
    upserts: list[IndexEntry] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)


def _flatten(value: Any) -> Iterable[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _flatten(item)
    elif isinstance(value, list):
        for item in value:
            yield from _flatten(item)
    elif value is not None and not isinstance(value, bool):
        yield str(value)


class EntryBuilder:
    def __init__(self, uow: UnitOfWork, records: RecordsContext) -> None:
        self.uow = uow
        self.records = records

    def _base(self, key: str, kind: str, file: RecordFile, case: RecordCase | None, title: str, body: str,
              status: str | None, procedure: str | None, type_: str | None, created: Any) -> IndexEntry:
        return IndexEntry(key=key, kind=kind, file_id=file.id, case_id=case.id if case else None,
                          reference_number=file.reference_number, owning_unit=file.owning_unit,
                          confidentiality=file.confidentiality, title=title[:500], body=body, procedure=procedure,
                          status=status, doc_type=type_, created_on=created.date())

    def _process(self, case: RecordCase) -> ProcessState | None:
        return self.records.process_state(self.uow, case.process_instance_id) if case.process_instance_id else None

    def _case_facts(self, case: RecordCase | None, file: RecordFile,
                    process: ProcessState | None = None) -> tuple[str | None, str]:
        if case is None:
            return None, file.status
        process = process or self._process(case)
        return (process[0] if process else None,
                case_status(case.closed_at is not None, process[1] if process else None))

    def file_entry(self, file: RecordFile) -> IndexEntry:
        return self._base(f"file:{file.id}", "file", file, None, file.title, file.reference_number, file.status,
                          None, "file", file.created_at)

    def case_entry(self, case: RecordCase, file: RecordFile) -> IndexEntry:
        process = self._process(case)  # looked up once: facts and search fields
        procedure, status = self._case_facts(case, file, process)
        fields = [f"{name}: {' '.join(_flatten(value))}" for name, value in (process[2] if process else {}).items()]
        body = "\n".join([case.title, " ".join(_flatten(case.applicant)), *fields])
        return self._base(f"case:{case.id}", "case", file, case, case.title, body, status, procedure, "case",
                          case.created_at)

    def document_entry(self, document: Document, file: RecordFile, case: RecordCase | None) -> IndexEntry:
        version = self.uow.session.scalars(select(DocumentVersion).where(
            DocumentVersion.document_id == document.id, DocumentVersion.number == document.latest_version)).one()
        extracted = self.uow.session.get(DocumentText, document.id)
        text = extracted.text if extracted is not None and extracted.version == version.number else ""
        procedure, status = self._case_facts(case, file)
        body = f"{version.filename}\n{text}"
        return self._base(f"document:{document.id}", "document", file, case, document.title, body, status,
                          procedure, document.kind or doc_type(version.media_type), document.created_at)

    def note_entry(self, note: Note, file: RecordFile, case: RecordCase | None) -> IndexEntry:
        procedure, status = self._case_facts(case, file)
        return self._base(f"note:{note.id}", "note", file, case, note.text[:80], note.text, status, procedure,
                          "note", note.created_at)

    def _members(self, changes: Changes, file: RecordFile, case_id: uuid.UUID | None) -> None:
        cases = {case.id: case for case in self.uow.session.scalars(
            select(RecordCase).where(RecordCase.file_id == file.id))}
        documents = select(Document).where(Document.file_id == file.id)
        notes = select(Note).where(Note.file_id == file.id)
        if case_id is not None:
            documents, notes = documents.where(Document.case_id == case_id), notes.where(Note.case_id == case_id)
        else:
            changes.upserts.extend(self.case_entry(case, file) for case in cases.values())
        for document in self.uow.session.scalars(documents):
            changes.upserts.append(self.document_entry(document, file, cases.get(document.case_id) if document.case_id
                                                       else None))
        for note in self.uow.session.scalars(notes):
            changes.upserts.append(self.note_entry(note, file, cases.get(note.case_id) if note.case_id else None))

    def _file(self, file_id: uuid.UUID) -> RecordFile | None:
        """The file, locked and freshly read: two workers indexing one file's entries take turns, so the
        one writing last has read the latest unit and confidentiality (no stale permission can win)."""
        query = (select(RecordFile).where(RecordFile.id == file_id).with_for_update()
                 .execution_options(populate_existing=True))
        return self.uow.session.scalars(query).one_or_none()

    def changes_for(self, entity_type: str, entity_id: str) -> Changes:
        """The entries to write and keys to delete after `entity_type` `entity_id` changed."""
        changes = Changes()
        key = uuid.UUID(entity_id)
        if entity_type == "file":
            file = self._file(key)
            if file is not None:
                changes.upserts.append(self.file_entry(file))
                self._members(changes, file, None)
        elif entity_type == "case":
            case = self.uow.session.get(RecordCase, key)
            if case is not None:
                file = self._file(case.file_id)
                assert file is not None  # a case's file is never deleted before the case
                changes.upserts.append(self.case_entry(case, file))
                self._members(changes, file, case.id)
        elif entity_type == "instance":  # its status shows on the case it drives
            driven = self.uow.session.scalar(select(RecordCase.id).where(RecordCase.process_instance_id == key))
            if driven is not None:
                return self.changes_for("case", str(driven))
        elif entity_type in ("document", "note"):
            part: Document | Note | None = (self.uow.session.get(Document, key) if entity_type == "document"
                                             else self.uow.session.get(Note, key))
            if part is None:
                changes.deletes.append(f"{entity_type}:{entity_id}")
            else:
                file = self._file(part.file_id)
                assert file is not None
                case = self.uow.session.get(RecordCase, part.case_id) if part.case_id else None
                changes.upserts.append(self.document_entry(part, file, case) if isinstance(part, Document)
                                       else self.note_entry(part, file, case))
        return changes
