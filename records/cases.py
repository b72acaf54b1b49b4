"""Cases (Vorgänge): one procedure run inside a file, its applicant, its process instance and its status."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import select

from core.db import UnitOfWork
from core.errors import Conflict, NotFound, ValidationFailed
from core.ids import parse_uuid
from records import audit
from records.access import Principal, require_file, visible_files
from records.context import RecordsContext
from records.models import RecordCase, RecordFile
from records.views import CaseView

MAX_APPLICANT_BYTES = 64 * 1024
PROCESS_STATUS = {"running": "in_progress", "suspended": "suspended", "completed": "completed",
                  "cancelled": "cancelled"}


def case_status(closed: bool, process_status: str | None) -> str:
    """`closed` once closed; otherwise derived from the process (`open` when no process drives it)."""
    if closed:
        return "closed"
    if process_status is None:
        return "open"
    return PROCESS_STATUS.get(process_status, process_status)


def _applicant(value: object) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationFailed("applicant must be a JSON object (person or organisation data)",
                               {"applicant": "must be an object"})
    if len(json.dumps(value, default=str)) > MAX_APPLICANT_BYTES:
        raise ValidationFailed("applicant data is larger than 64 KiB", {"applicant": "too large"})
    return value


def _view(uow: UnitOfWork, ctx: RecordsContext, row: RecordCase, file: RecordFile) -> CaseView:
    process = ctx.process_state(uow, row.process_instance_id) if row.process_instance_id else None
    status = case_status(row.closed_at is not None, process[1] if process else None)
    return CaseView.of(row, file, status, process[0] if process else None)


def create_case(
    uow: UnitOfWork, ctx: RecordsContext, principal: Principal, file_id: str | uuid.UUID, *, title: str,
    applicant: object = None, process_instance_id: uuid.UUID | None = None,
) -> CaseView:
    """Open a case in a visible, open file."""
    file = require_file(uow, principal, file_id, for_update=True)
    if file.status != "open":
        raise Conflict(f"file {file.reference_number} is closed; open a new file for a new case")
    if not isinstance(title, str) or not title.strip() or len(title) > 500:
        raise ValidationFailed("title is required (at most 500 characters)", {"title": "required"})
    now = ctx.clock.now()
    row = RecordCase(id=uuid.uuid4(), file_id=file.id, title=title.strip(), applicant=_applicant(applicant),
                     process_instance_id=process_instance_id, created_at=now, created_by=principal.name)
    uow.session.add(row)
    uow.flush()
    view = _view(uow, ctx, row, file)
    audit.record(uow, actor=principal.name, action="create", entity_type="case", entity_id=row.id, at=now,
                 file_id=file.id, after={"title": row.title, "applicant": row.applicant,
                                         "process_instance_id": process_instance_id})
    return view


def require_case(
    uow: UnitOfWork, principal: Principal, case_id: str | uuid.UUID, *, for_update: bool = False
) -> tuple[RecordCase, RecordFile]:
    """The case and its file, if the file is visible to `principal`; otherwise NotFound. With `for_update`
    the case row is locked (and re-read), so concurrent changes of one case happen one after the other."""
    query = (select(RecordCase, RecordFile).join(RecordFile, RecordFile.id == RecordCase.file_id)
             .where(RecordCase.id == parse_uuid(case_id, "case"), visible_files(principal)))
    if for_update:
        query = query.with_for_update(of=RecordCase).execution_options(populate_existing=True)
    found = uow.session.execute(query).one_or_none()
    if found is None:
        raise NotFound(f"case {case_id} does not exist or is not visible to {principal.name}")
    return found[0], found[1]


def resolve_owner(
    uow: UnitOfWork, principal: Principal, case_id: str | uuid.UUID | None, file_id: str | uuid.UUID | None
) -> tuple[RecordFile, uuid.UUID | None]:
    """The visible file something belongs to, and the case within it (None when it belongs to the file)."""
    if case_id is not None:
        case, file = require_case(uow, principal, case_id)
        return file, case.id
    if file_id is None:
        raise ValidationFailed("give the case or the file it belongs to", {"case_id": "required"})
    return require_file(uow, principal, file_id), None


def get_case(uow: UnitOfWork, ctx: RecordsContext, principal: Principal, case_id: str | uuid.UUID) -> CaseView:
    row, file = require_case(uow, principal, case_id)
    return _view(uow, ctx, row, file)


def list_cases(
    uow: UnitOfWork, ctx: RecordsContext, principal: Principal, file_id: str | uuid.UUID
) -> list[CaseView]:
    file = require_file(uow, principal, file_id)
    rows = uow.session.scalars(select(RecordCase).where(RecordCase.file_id == file.id).order_by(RecordCase.created_at))
    return [_view(uow, ctx, row, file) for row in rows]


def link_process(
    uow: UnitOfWork, ctx: RecordsContext, principal: Principal, case_id: uuid.UUID, instance_id: uuid.UUID
) -> None:
    """Record which process instance drives the case (set once, when the instance starts)."""
    row, file = require_case(uow, principal, case_id, for_update=True)
    if row.process_instance_id not in (None, instance_id):
        raise Conflict(f"case {case_id} is already driven by process instance {row.process_instance_id}")
    row.process_instance_id = instance_id
    audit.record(uow, actor=principal.name, action="link_process", entity_type="case", entity_id=row.id,
                 at=ctx.clock.now(), file_id=file.id, after={"process_instance_id": instance_id})


def close_case(
    uow: UnitOfWork, ctx: RecordsContext, principal: Principal, case_id: str | uuid.UUID, outcome: str | None = None
) -> CaseView:
    """Close a case with its outcome (e.g. "approved"); closing twice is a conflict."""
    row, file = require_case(uow, principal, case_id, for_update=True)
    if row.closed_at is not None:
        raise Conflict(f"case {row.id} is already closed")
    if outcome is not None and (not isinstance(outcome, str) or len(outcome) > 255):
        raise ValidationFailed("outcome must be text of at most 255 characters", {"outcome": "too long"})
    row.closed_at, row.outcome = ctx.clock.now(), outcome
    uow.flush()
    audit.record(uow, actor=principal.name, action="close", entity_type="case", entity_id=row.id,
                 at=row.closed_at, file_id=file.id, before={"closed": False},
                 after={"closed": True, "outcome": outcome})
    return _view(uow, ctx, row, file)
