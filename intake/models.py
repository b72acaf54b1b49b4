"""Intake tables: received items, e-mails read, the Leitweg-ID routing table and the files intake writes to."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

import records.models  # noqa: F401  (the e-file tables these rows refer to)
from core.db import Base, UTCDateTime

# received: stored, waiting for the worker · processing: claimed by a worker · accepted: filed as a case ·
# rejected: refused (notice written) · duplicate: the same invoice was accepted before · paper: no e-invoice
# data, kept as a document · failed: processing broke down repeatedly (retry with `akte einvoice retry`)
STATUSES = ("received", "processing", "accepted", "rejected", "duplicate", "paper", "failed")
OPEN_STATUSES = ("received", "processing")


class IntakeItem(Base):
    """One received file: stored first (`document_id` in the intake inbox file), then processed."""

    __tablename__ = "intake_item"
    __table_args__ = (
        Index("ix_intake_item_due", "status", "available_at"),
        # one accepted invoice per seller, number and amount: a concurrent second one cannot commit
        Index("ix_intake_item_accepted_invoice", "duplicate_key", unique=True,
              sqlite_where=text("status = 'accepted'"), postgresql_where=text("status = 'accepted'")),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    channel: Mapped[str] = mapped_column(String(16))  # upload | api | cli | dropfolder | mail
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str | None] = mapped_column(String(127))
    size: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64), unique=True)  # None: refused before it was read
    message_key: Mapped[str | None] = mapped_column(String(255), index=True)  # the e-mail it came in
    sender: Mapped[str | None] = mapped_column(String(320))
    received_by: Mapped[str] = mapped_column(String(255))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claim: Mapped[uuid.UUID | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    inbox_file_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("record_file.id"))
    document_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("document.id"))
    file_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("record_file.id"), index=True)  # filed in
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("record_case.id"), index=True)
    process_instance_id: Mapped[uuid.UUID | None] = mapped_column()
    documents: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # role -> document id
    syntax: Mapped[str | None] = mapped_column(String(32))
    valid: Mapped[bool | None] = mapped_column(Boolean)
    findings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # counts, rule sets, failed rules
    invoice_number: Mapped[str | None] = mapped_column(String(255))
    seller_name: Mapped[str | None] = mapped_column(String(500))
    seller_vat_id: Mapped[str | None] = mapped_column(String(64))
    payable: Mapped[str | None] = mapped_column(String(40))
    currency: Mapped[str | None] = mapped_column(String(3))
    leitweg_id: Mapped[str | None] = mapped_column(String(64))
    unit: Mapped[str | None] = mapped_column(String(64))
    candidate_group: Mapped[str | None] = mapped_column(String(255))
    routed_by: Mapped[str | None] = mapped_column(String(16))  # route | prefix | central
    duplicate_key: Mapped[str | None] = mapped_column(String(64))
    duplicate_of: Mapped[uuid.UUID | None] = mapped_column()
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class IntakeMail(Base):
    """An e-mail read from the mailbox (once: keyed by Message-ID), kept as an .eml document."""

    __tablename__ = "intake_mail"

    message_key: Mapped[str] = mapped_column(String(255), primary_key=True)  # <message-id> or sha256:HEX
    subject: Mapped[str] = mapped_column(String(500))
    sender: Mapped[str | None] = mapped_column(String(320))
    folder: Mapped[str] = mapped_column(String(255))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    size: Mapped[int] = mapped_column(BigInteger)
    document_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("document.id"))  # None: refused
    attachments: Mapped[int] = mapped_column(Integer, default=0)  # items taken from it
    error: Mapped[str | None] = mapped_column(Text)


class InvoiceRoute(Base):
    """Leitweg-ID (BT-10) -> organisational unit and candidate group; `04011000-*` routes a whole prefix."""

    __tablename__ = "invoice_route"

    leitweg_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    unit: Mapped[str] = mapped_column(String(64))
    candidate_group: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class IntakeFile(Base):
    """The file intake puts things in, per purpose (inbox | payable), unit and year; created on first use."""

    __tablename__ = "intake_file"

    purpose: Mapped[str] = mapped_column(String(16), primary_key=True)
    unit: Mapped[str] = mapped_column(String(64), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("record_file.id"))
