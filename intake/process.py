"""The worker's intake step: check each received item and file it.

Two short transactions per item. The *claim* marks it `processing` and counts the attempt; the *work*
(check, route, create the case and its documents, start the process, set the final status) commits as one.
A worker that dies during the work leaves nothing half-done — the transaction rolls back — and the claim
runs out after LEASE, so another worker takes the item again. An item whose processing breaks down
MAX_ATTEMPTS times is parked as `failed` with its last error (`akte einvoice retry` starts over).

Outcomes: `paper` (no e-invoice data: it stays a document of the intake inbox, text extraction runs as for
any document), `rejected` (fatal findings or unreadable: a notice for the supplier and the report go into
the intake inbox file, with a note), `duplicate` (the same seller, number and amount were accepted before:
flagged on the earlier case, not processed again) and `accepted` (a case in the accounts-payable file of
the routed unit, with the invoice, its report and rendering, and the incoming-invoice process started).
"""

from __future__ import annotations

import hashlib
import io
import logging
import threading
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, bindparam, or_, select, update

from core.bootstrap import Services
from core.db import UnitOfWork
from core.errors import AkteError, NotFound, Unavailable
from core.ids import parse_uuid
from core.settings import Settings
from engine.instances import latest_definition, start_instance
from intake.einvoice import Checker, CheckResult, Invoice, UnreadableInvoice
from intake.filing import payable_file
from intake.letters import Receipt, rejection_notice
from intake.models import IntakeItem, IntakeMail
from intake.rendering import name_part, notice_upload, plain, rendering_uploads, report_upload
from intake.routing import Route, resolve_route
from records.access import Principal
from records.cases import create_case, link_process
from records.documents import Upload, add_document
from records.files import LOCAL_TIMEZONE
from records.models import DocumentVersion
from records.notes import add_note

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
LEASE = timedelta(minutes=10)
INVOICE_TYPES = frozenset({"application/pdf", "application/xml"})
ACTOR = "intake"

_checkers: dict[str, Checker] = {}
_checkers_lock = threading.Lock()


def checker_for(settings: Settings) -> Checker:
    """One checker per rules directory and process: the official rules are compiled once, then reused."""
    key = str(settings.einvoice_rules or "")
    with _checkers_lock:
        found = _checkers.get(key)
        if found is None:
            found = _checkers[key] = Checker(settings.einvoice_rules)
        return found


def _backoff(attempts: int) -> timedelta:
    return min(timedelta(hours=1), timedelta(seconds=30 * 2 ** min(attempts, 10)))


def claim(services: Services, limit: int, ids: Sequence[uuid.UUID] | None = None) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Mark up to `limit` due items (of `ids`, when given) `processing` — also those whose worker died;
    returns (item id, claim)."""
    now = services.clock.now()
    due = or_(and_(IntakeItem.status == "received", IntakeItem.available_at <= now),
              and_(IntakeItem.status == "processing", IntakeItem.claimed_at < now - LEASE))
    claimed: list[tuple[uuid.UUID, uuid.UUID]] = []
    with services.db.unit_of_work() as uow:
        query = (select(IntakeItem.id, IntakeItem.status, IntakeItem.attempts, IntakeItem.error).where(due)
                 .order_by(IntakeItem.received_at).limit(limit))
        if ids is not None:
            query = query.where(IntakeItem.id.in_(list(ids)))
        for item_id, status, attempts, error in uow.session.execute(query.with_for_update(skip_locked=True)).all():
            if status == "processing":
                error = f"the worker stopped while processing it (attempt {attempts})"
            # conditional: on SQLite (no row locks) a second worker that read the same row changes nothing
            unchanged = update(IntakeItem).where(IntakeItem.id == item_id, IntakeItem.status == status,
                                                 IntakeItem.attempts == attempts)
            if attempts >= MAX_ATTEMPTS:
                uow.session.execute(unchanged.values(status="failed", processed_at=now, claim=None,
                                                     error=f"processing stopped after {attempts} attempts: {error}"))
                continue
            token = uuid.uuid4()
            changed = uow.session.execute(unchanged.values(status="processing", attempts=attempts + 1,
                                                           claimed_at=now, claim=token, error=error))
            if changed.rowcount == 1:  # type: ignore[attr-defined]
                claimed.append((item_id, token))
        uow.commit()
    return claimed


def process_pending(services: Services, *, limit: int = 20, ids: Sequence[uuid.UUID] | None = None) -> int:
    """Claim and process up to `limit` received items (only `ids`, when given); returns how many were
    handled (the worker step)."""
    claimed = claim(services, limit, ids)
    for item_id, token in claimed:
        process_claimed(services, item_id, token)
    return len(claimed)


def process_step(services: Services) -> int:
    """The worker step: like `process_pending`, but a failure to claim is logged, never raised."""
    try:
        return process_pending(services)
    except Exception:
        log.exception("claiming received items failed")
        return 0


def process_claimed(services: Services, item_id: uuid.UUID, token: uuid.UUID) -> str | None:
    """Process one claimed item in one transaction; returns its new status (None if the claim was lost)."""
    try:
        with services.db.unit_of_work() as uow:
            query = (select(IntakeItem).where(IntakeItem.id == item_id).with_for_update()
                     .execution_options(populate_existing=True))
            item = uow.session.scalars(query).one_or_none()
            if item is None or item.claim != token or item.status != "processing":
                return None  # the lease ran out and another worker has it now
            process_item(uow, services, item)
            status = item.status
            uow.commit()
            return status
    except Exception as exc:
        log.exception("processing intake item %s failed", item_id)
        _retry_later(services, item_id, token, exc)
        return "received"


def _retry_later(services: Services, item_id: uuid.UUID, token: uuid.UUID, exc: Exception) -> None:
    message = exc.message if isinstance(exc, AkteError) else f"{type(exc).__name__}: {exc}"
    now = services.clock.now()
    with services.db.unit_of_work() as uow:
        item = uow.session.get(IntakeItem, item_id)
        if item is None or item.claim != token:
            return
        item.error, item.claim, item.claimed_at = message[:4000], None, None
        if item.attempts >= MAX_ATTEMPTS:
            item.status, item.processed_at = "failed", now
            item.error = f"processing stopped after {item.attempts} attempts: {message}"[:4000]
        else:
            item.status, item.available_at = "received", now + _backoff(item.attempts)
        uow.commit()


def retry_failed(services: Services, item_id: str | uuid.UUID | None = None) -> int:
    """Make failed items due again with a fresh count of attempts; returns how many."""
    now = services.clock.now()
    statement = update(IntakeItem).where(IntakeItem.status == "failed")
    if item_id is not None:
        statement = statement.where(IntakeItem.id == parse_uuid(item_id, "intake item"))
    with services.db.unit_of_work() as uow:
        count = uow.session.execute(statement.values(status="received", attempts=0, available_at=now,
                                                     processed_at=None)).rowcount  # type: ignore[attr-defined]
        uow.commit()
    return int(count or 0)


_FIRST_BLOB_KEY = select(DocumentVersion.blob_key).where(  # built once: read for every item
    DocumentVersion.document_id == bindparam("document_id"), DocumentVersion.number == 1)


def received_content(uow: UnitOfWork, services: Services, item: IntakeItem) -> bytes:
    """The content of a received item, read back from the document store."""
    blob_key = uow.session.scalar(_FIRST_BLOB_KEY, {"document_id": item.document_id})
    if blob_key is None:
        raise Unavailable(f"intake item {item.id} has no stored document")
    try:
        with services.records.blobs.open(blob_key) as stream:
            return stream.read(services.settings.intake_max_bytes + 1)
    except KeyError:
        raise Unavailable(f"the content of intake item {item.id} is missing from the document store") from None


def process_item(uow: UnitOfWork, services: Services, item: IntakeItem) -> None:
    """Check, route and file one item (in the caller's transaction); sets its final status."""
    item.processed_at, item.claim, item.error = services.clock.now(), None, None
    if item.media_type not in INVOICE_TYPES:
        return _paper(item, f"{item.media_type} is no e-invoice format")
    content = received_content(uow, services, item)
    try:
        result = checker_for(services.settings).check(content, item.filename)
    except UnreadableInvoice as exc:
        return _reject(uow, services, item, None, reason=exc.message)
    _record_check(item, result)
    if result.paper_like:
        return _paper(item, "a PDF without embedded invoice data")
    if result.invoice is None or not result.valid:
        return _reject(uow, services, item, result)
    _record_invoice(item, result.invoice)
    earlier = _accepted_twin(uow, item)
    if earlier is not None:
        return _duplicate(uow, services, item, earlier)
    route = resolve_route(uow, services.settings, result.invoice.buyer_reference)
    _accept(uow, services, item, result, result.invoice, route, content)


def _record_check(item: IntakeItem, result: CheckResult) -> None:
    item.syntax, item.valid = (result.syntax or None), result.valid
    item.findings = {
        "rule_sets": list(result.rule_sets), "skipped_rule_sets": list(result.skipped_rule_sets),
        "errors": len(result.errors), "warnings": len(result.warnings),
        "failed_rules": sorted({finding.rule_id for finding in result.errors})[:100],
    }


def _cut(value: str | None, limit: int) -> str | None:
    return value[:limit] if value else None


def _record_invoice(item: IntakeItem, invoice: Invoice) -> None:
    seller = invoice.seller
    item.invoice_number = _cut(invoice.number, 255)
    item.seller_name, item.seller_vat_id = _cut(seller.name, 500), _cut(seller.vat_id, 64)
    item.payable = None if invoice.payable is None else format(invoice.payable.normalize(), "f")[:40]
    item.currency = _cut(invoice.currency, 3)
    item.leitweg_id = _cut(invoice.buyer_reference, 64)
    item.duplicate_key = duplicate_key(item.seller_vat_id, item.seller_name, item.invoice_number, item.payable)


def duplicate_key(vat_id: str | None, seller_name: str | None, number: str | None, payable: str | None) -> str | None:
    """The same invoice twice: same seller (VAT id, else name), invoice number and amount payable."""
    seller = ("vat:" + "".join(vat_id.split()).upper()) if vat_id else (
        "name:" + " ".join(seller_name.split()).casefold() if seller_name else None)
    if seller is None or not number:
        return None
    return hashlib.sha256("\x1f".join((seller, number.strip(), payable or "-")).encode()).hexdigest()


def _accepted_twin(uow: UnitOfWork, item: IntakeItem) -> IntakeItem | None:
    if item.duplicate_key is None:
        return None
    return uow.session.scalars(select(IntakeItem).where(
        IntakeItem.duplicate_key == item.duplicate_key, IntakeItem.status == "accepted",
        IntakeItem.id != item.id)).first()


def _paper(item: IntakeItem, why: str) -> None:
    item.status = "paper"
    item.note = f"no e-invoice ({why}): kept as a document of the intake inbox; its text is extracted for search"


def _stem(item: IntakeItem) -> str:
    return name_part(item.invoice_number, name_part(item.filename.rsplit(".", 1)[0], str(item.id)[:8]))


def _add(uow: UnitOfWork, services: Services, upload: Upload, title: str, *, case_id: uuid.UUID | None = None,
         file_id: uuid.UUID | None = None, kind: str | None = None) -> str:
    view = add_document(uow, services.records, Principal.system(ACTOR), upload, case_id=case_id, file_id=file_id,
                        title=title[:500], kind=kind)
    return str(view.id)


def _reject(uow: UnitOfWork, services: Services, item: IntakeItem, result: CheckResult | None, *,
            reason: str | None = None) -> None:
    invoice = result.invoice if result is not None else None
    if invoice is not None:
        _record_invoice(item, invoice)
    errors = list(result.errors) if result is not None else []
    failed = ", ".join(sorted({finding.rule_id for finding in errors})[:20])
    item.status = "rejected"
    item.error = (reason or f"the invoice fails {len(errors)} rule(s): {failed}")[:4000]
    receipt = Receipt(item.filename, item.received_at, item.channel, item.sender)
    notice = rejection_notice(invoice, errors, receipt, reason=reason,
                              rule_sets=list(result.rule_sets) if result is not None else ())
    stem, inbox = _stem(item), item.inbox_file_id
    documents = dict(item.documents or {})
    if result is not None:
        documents["report"] = _add(uow, services, report_upload(result, stem), f"Prüfbericht {stem}", file_id=inbox)
    documents["notice"] = _add(uow, services, notice_upload(notice, stem), notice.subject, file_id=inbox)
    item.documents = documents
    add_note(uow, services.records, Principal.system(ACTOR),
             f"E-Rechnung „{item.filename}“ zurückgewiesen: {item.error}. Zurückweisung an den Lieferanten "
             f"als Dokument abgelegt.", file_id=inbox)


def _duplicate(uow: UnitOfWork, services: Services, item: IntakeItem, earlier: IntakeItem) -> None:
    item.status, item.duplicate_of = "duplicate", earlier.id
    item.note = (f"the same invoice (seller, number {item.invoice_number}, amount {item.payable}) was accepted "
                 f"before as intake item {earlier.id}; not processed again")
    if earlier.case_id is not None:
        day = item.received_at.astimezone(LOCAL_TIMEZONE).strftime("%d.%m.%Y")
        add_note(uow, services.records, Principal.system(ACTOR),
                 f"Doppelt eingegangen am {day}: Rechnung {item.invoice_number} (Datei „{item.filename}“, "
                 f"Eingang {item.id}); nicht erneut bearbeitet.", case_id=earlier.case_id)


def _accept(uow: UnitOfWork, services: Services, item: IntakeItem, result: CheckResult, invoice: Invoice,
            route: Route, content: bytes) -> None:
    settings, records = services.settings, services.records
    system = Principal.system(ACTOR)
    file_id = payable_file(uow, services.clock, settings, route.unit).id
    seller = invoice.seller.name or "unbekannter Lieferant"
    title = f"Rechnung {invoice.number or item.filename} – {seller}"
    case = create_case(uow, records, system, file_id, title=title[:500], applicant=_applicant(invoice))
    stem = _stem(item)
    documents = dict(item.documents or {})
    documents["invoice"] = _add(uow, services, Upload(io.BytesIO(content), item.filename, item.media_type),
                                f"Rechnung {invoice.number or item.filename}", case_id=case.id, kind="invoice")
    documents["report"] = _add(uow, services, report_upload(result, stem), f"Prüfbericht {stem}", case_id=case.id)
    for role, upload in rendering_uploads(invoice, result, stem):
        documents[role] = _add(uow, services, upload, f"Rechnung {stem} (lesbare Darstellung)", case_id=case.id)
    mail = uow.session.get(IntakeMail, item.message_key) if item.message_key else None
    if mail is not None and mail.document_id is not None:
        documents["email"] = _copy_document(uow, services, mail.document_id, f"E-Mail: {mail.subject}", case.id)
    item.status, item.case_id, item.file_id = "accepted", case.id, file_id
    item.unit, item.candidate_group, item.routed_by = route.unit, route.candidate_group, route.routed_by
    item.documents = documents
    uow.flush()  # the unique accepted-invoice index: a twin accepted concurrently fails here
    _start_process(uow, services, item, result, invoice, route, case.id, case.reference_number)


def _copy_document(uow: UnitOfWork, services: Services, document_id: uuid.UUID, title: str,
                   case_id: uuid.UUID) -> str:
    version = uow.session.scalars(select(DocumentVersion).where(DocumentVersion.document_id == document_id)
                                  .order_by(DocumentVersion.number.desc())).first()
    if version is None:
        raise NotFound(f"document {document_id} has no version")
    with services.records.blobs.open(version.blob_key) as stream:
        return _add(uow, services, Upload(stream, version.filename, version.media_type), title, case_id=case_id)


def _applicant(invoice: Invoice) -> dict[str, Any]:
    seller = invoice.seller
    address = {"street": seller.street, "postcode": seller.postcode, "city": seller.city, "country": seller.country}
    return {"kind": "organisation", "name": seller.name, "vat_id": seller.vat_id,
            "address": {key: value for key, value in address.items() if value}}


def process_data(item: IntakeItem, result: CheckResult, invoice: Invoice, route: Route,
                 case_id: uuid.UUID) -> dict[str, Any]:
    """What the incoming-invoice process starts with: the normalised invoice, routing and where it is filed."""
    return {
        "invoice": plain(invoice.to_json()),
        "routing": {"unit": route.unit, "candidate_group": route.candidate_group, "routed_by": route.routed_by,
                    "leitweg_id": route.leitweg_id},
        "unit": route.unit,
        "candidate_group": route.candidate_group,
        "validation": {"valid": result.valid, "syntax": result.syntax, "rule_sets": list(result.rule_sets),
                       "skipped_rule_sets": list(result.skipped_rule_sets), "warnings": len(result.warnings)},
        "intake_item_id": str(item.id),
        "documents": dict(item.documents or {}),
        "case_id": str(case_id),
        "applicant_name": item.seller_name or "",
    }


def _start_process(uow: UnitOfWork, services: Services, item: IntakeItem, result: CheckResult, invoice: Invoice,
                   route: Route, case_id: uuid.UUID, reference: str) -> None:
    key = services.settings.invoice_process
    try:
        latest_definition(uow, key)
    except NotFound:
        item.note = (f"process {key!r} (AKTE_INVOICE_PROCESS) is not deployed: the case was created without a "
                     "process")
        return
    instance = start_instance(uow, services.engine, key, process_data(item, result, invoice, route, case_id),
                              business_key=reference, started_by=ACTOR)
    item.process_instance_id = uuid.UUID(instance.id)
    link_process(uow, services.records, Principal.system(ACTOR), case_id, item.process_instance_id)
