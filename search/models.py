"""Search tables in the application database: the entries the database backends search, and the text
extracted from each document (kept so a reindex never extracts or OCRs again)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime


class SearchEntry(Base):
    """One searchable thing (a document, file, case or note) with the facts its permission filter needs.

    The database backends add their own index structures outside the ORM (migration 0005): an FTS5 table
    `search_fts` on SQLite; a generated `tsv` column with GIN and a trigram index on PostgreSQL.
    """

    __tablename__ = "search_entry"
    __table_args__ = (Index("ix_search_entry_access", "owning_unit", "confidentiality"),)

    # a stable integer id: SQLite's FTS table refers to it as its rowid (an implicit rowid may be renumbered)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)  # "<kind>:<uuid>"
    kind: Mapped[str] = mapped_column(String(16))
    file_id: Mapped[uuid.UUID] = mapped_column(index=True)
    case_id: Mapped[uuid.UUID | None] = mapped_column()
    reference_number: Mapped[str] = mapped_column(String(96), index=True)
    owning_unit: Mapped[str] = mapped_column(String(64))
    confidentiality: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    procedure: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str | None] = mapped_column(String(32))
    doc_type: Mapped[str | None] = mapped_column(String(32))
    created_on: Mapped[date] = mapped_column(Date, index=True)


class DocumentText(Base):
    """The extracted text of a document's latest version, or why extraction failed (retryable)."""

    __tablename__ = "document_text"

    document_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)  # done | failed
    method: Mapped[str | None] = mapped_column(String(16))
    pages: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
