"""E-file tables: file plan, files (Akten), cases (Vorgänge), documents with versions, notes, audit trail."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from core.db import Base, UTCDateTime


class Created:
    """Who created the row, and when."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(255))


class Locked:
    """Optimistic locking: a concurrent change of the same row fails with StaleDataError (-> Conflict)."""

    row_version: Mapped[int] = mapped_column(Integer, default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.row_version}


class FilePlanEntry(Base):
    """One subject code of the file plan (Aktenplan), e.g. `32.10.05` Fahrerlaubnisse under `32.10`."""

    __tablename__ = "file_plan_entry"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("file_plan_entry.code"), index=True)
    title: Mapped[str] = mapped_column(String(500))
    retention_years: Mapped[int | None] = mapped_column(Integer)  # default for files under this code


class ReferenceCounter(Base):
    """Last sequence number handed out per plan code and year (gap-free: rolled back with its transaction)."""

    __tablename__ = "reference_counter"

    plan_code: Mapped[str] = mapped_column(ForeignKey("file_plan_entry.code"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_sequence: Mapped[int] = mapped_column(Integer)


class RecordFile(Created, Locked, Base):
    """An Akte: the e-file for one matter, numbered `<plan code>-<year>/<sequence>`."""

    __tablename__ = "record_file"
    __table_args__ = (UniqueConstraint("plan_code", "year", "sequence", name="uq_record_file_number"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    reference_number: Mapped[str] = mapped_column(String(96), unique=True)
    plan_code: Mapped[str] = mapped_column(ForeignKey("file_plan_entry.code"))
    year: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))
    owning_unit: Mapped[str] = mapped_column(String(64), index=True)
    confidentiality: Mapped[int] = mapped_column(Integer)  # records.access.Confidentiality
    status: Mapped[str] = mapped_column(String(16), default="open")
    retention_years: Mapped[int | None] = mapped_column(Integer)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    disposal_date: Mapped[date | None] = mapped_column(Date, index=True)
    follow_up_date: Mapped[date | None] = mapped_column(Date, index=True)


class RecordCase(Created, Base):
    """A Vorgang: one procedure run inside a file, driven by one process instance."""

    __tablename__ = "record_case"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    file_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("record_file.id"), index=True)
    title: Mapped[str] = mapped_column(String(500))
    process_instance_id: Mapped[uuid.UUID | None] = mapped_column(unique=True)
    applicant: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str | None] = mapped_column(String(255))


class PartOfFile:
    """Columns of what belongs to a file and, optionally, to one of its cases (documents, notes)."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    file_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("record_file.id"), index=True)
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("record_case.id"), index=True)


class Document(PartOfFile, Created, Locked, Base):
    """A document of a file (and usually of one of its cases); its content lives in immutable versions."""

    __tablename__ = "document"

    title: Mapped[str] = mapped_column(String(500))
    latest_version: Mapped[int] = mapped_column(Integer, default=1)
    kind: Mapped[str | None] = mapped_column(String(32))  # what the document is, when known (e.g. "invoice")


class DocumentVersion(Created, Base):
    """One immutable version: never updated, never overwritten by a later one."""

    __tablename__ = "document_version"
    __table_args__ = (UniqueConstraint("document_id", "number", name="uq_document_version_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("document.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    blob_key: Mapped[str] = mapped_column(String(255), index=True)


class Note(PartOfFile, Base):
    """A Vermerk on a file or on one of its cases."""

    __tablename__ = "note"

    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditEntry(Base):
    """Append-only, hash-chained: `hash` covers every field and the previous entry's hash."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_entity", "entity_type", "entity_id"),)

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(32))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    file_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The single row that serialises appends to the chain: last sequence number and hash."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(64))
