"""Plain views of intake rows handed to the web and CLI layers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from intake.models import IntakeItem, InvoiceRoute


@dataclass(frozen=True)
class ReceivedView:
    """A received item and how far it got; `already_received` when this call found it stored before."""

    id: uuid.UUID
    channel: str
    filename: str
    media_type: str | None
    size: int | None
    sha256: str | None
    status: str
    received_at: datetime
    received_by: str
    sender: str | None
    message_key: str | None
    document_id: uuid.UUID | None
    file_id: uuid.UUID | None
    case_id: uuid.UUID | None
    process_instance_id: uuid.UUID | None
    syntax: str | None
    valid: bool | None
    invoice_number: str | None
    seller_name: str | None
    payable: str | None
    currency: str | None
    leitweg_id: str | None
    unit: str | None
    candidate_group: str | None
    routed_by: str | None
    duplicate_of: uuid.UUID | None
    error: str | None
    note: str | None
    attempts: int
    processed_at: datetime | None
    documents: dict[str, Any] = field(default_factory=dict)
    findings: dict[str, Any] = field(default_factory=dict)
    already_received: bool = False

    @classmethod
    def of(cls, row: IntakeItem, *, already_received: bool = False) -> ReceivedView:
        return cls(
            id=row.id, channel=row.channel, filename=row.filename, media_type=row.media_type, size=row.size,
            sha256=row.sha256, status=row.status, received_at=row.received_at, received_by=row.received_by,
            sender=row.sender, message_key=row.message_key, document_id=row.document_id, file_id=row.file_id,
            case_id=row.case_id, process_instance_id=row.process_instance_id, syntax=row.syntax, valid=row.valid,
            invoice_number=row.invoice_number, seller_name=row.seller_name, payable=row.payable,
            currency=row.currency, leitweg_id=row.leitweg_id, unit=row.unit, candidate_group=row.candidate_group,
            routed_by=row.routed_by, duplicate_of=row.duplicate_of, error=row.error, note=row.note,
            attempts=row.attempts, processed_at=row.processed_at, documents=dict(row.documents or {}),
            findings=dict(row.findings or {}), already_received=already_received,
        )


@dataclass(frozen=True)
class RouteView:
    leitweg_id: str
    unit: str
    candidate_group: str
    updated_at: datetime

    @classmethod
    def of(cls, row: InvoiceRoute) -> RouteView:
        return cls(row.leitweg_id, row.unit, row.candidate_group, row.updated_at)
