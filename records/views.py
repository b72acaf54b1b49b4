"""Plain views of e-file objects handed to the web and CLI layers (never ORM rows)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from records.access import Confidentiality
from records.models import Document, DocumentVersion, Note, RecordCase, RecordFile


@dataclass(frozen=True)
class FileView:
    id: uuid.UUID
    reference_number: str
    plan_code: str
    title: str
    owning_unit: str
    confidentiality: str
    status: str
    retention_years: int | None
    closed_at: datetime | None
    disposal_date: date | None
    follow_up_date: date | None
    created_at: datetime
    created_by: str

    @classmethod
    def of(cls, row: RecordFile) -> FileView:
        return cls(
            id=row.id, reference_number=row.reference_number, plan_code=row.plan_code, title=row.title,
            owning_unit=row.owning_unit, confidentiality=Confidentiality(row.confidentiality).label,
            status=row.status, retention_years=row.retention_years, closed_at=row.closed_at,
            disposal_date=row.disposal_date, follow_up_date=row.follow_up_date, created_at=row.created_at,
            created_by=row.created_by,
        )


@dataclass(frozen=True)
class CaseView:
    id: uuid.UUID
    file_id: uuid.UUID
    reference_number: str
    title: str
    status: str
    procedure: str | None  # the key of the process that drives the case
    process_instance_id: uuid.UUID | None
    applicant: dict[str, Any]
    outcome: str | None
    closed_at: datetime | None
    created_at: datetime
    created_by: str

    @classmethod
    def of(cls, row: RecordCase, file: RecordFile, status: str, procedure: str | None) -> CaseView:
        return cls(
            id=row.id, file_id=row.file_id, reference_number=file.reference_number, title=row.title,
            status=status, procedure=procedure, process_instance_id=row.process_instance_id, applicant=row.applicant,
            outcome=row.outcome, closed_at=row.closed_at, created_at=row.created_at, created_by=row.created_by,
        )


@dataclass(frozen=True)
class VersionView:
    number: int
    filename: str
    media_type: str
    size: int
    sha256: str
    created_at: datetime
    created_by: str

    @classmethod
    def of(cls, row: DocumentVersion) -> VersionView:
        return cls(number=row.number, filename=row.filename, media_type=row.media_type, size=row.size,
                   sha256=row.sha256, created_at=row.created_at, created_by=row.created_by)


@dataclass(frozen=True)
class DocumentView:
    id: uuid.UUID
    file_id: uuid.UUID
    case_id: uuid.UUID | None
    title: str
    latest_version: int
    created_at: datetime
    created_by: str
    versions: list[VersionView] = field(default_factory=list)
    kind: str | None = None  # what the document is, when known (e.g. "invoice")

    @classmethod
    def of(cls, row: Document, versions: list[DocumentVersion]) -> DocumentView:
        return cls(id=row.id, file_id=row.file_id, case_id=row.case_id, title=row.title,
                   latest_version=row.latest_version, created_at=row.created_at, created_by=row.created_by,
                   versions=[VersionView.of(version) for version in versions], kind=row.kind)


@dataclass(frozen=True)
class NoteView:
    id: uuid.UUID
    file_id: uuid.UUID
    case_id: uuid.UUID | None
    text: str
    author: str
    created_at: datetime
    updated_at: datetime | None

    @classmethod
    def of(cls, row: Note) -> NoteView:
        return cls(id=row.id, file_id=row.file_id, case_id=row.case_id, text=row.text, author=row.author,
                   created_at=row.created_at, updated_at=row.updated_at)
