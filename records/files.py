"""Files (Akten): creation with gap-free reference numbers, lookup, changes, closing and disposal dates."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from core.clock import Clock
from core.db import UnitOfWork
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from records import audit
from records.access import Confidentiality, Principal, require_file, visible_files
from records.fileplan import get_entry
from records.models import RecordFile, ReferenceCounter
from records.views import FileView

LOCAL_TIMEZONE = ZoneInfo("Europe/Berlin")  # the year in a reference number is the city's calendar year
MAX_TITLE = 500


def reference_number(plan_code: str, year: int, sequence: int) -> str:
    """`32.10.05-2026/00017`: plan code, year, sequence (five digits, more when needed)."""
    return f"{plan_code}-{year}/{sequence:05d}"


def disposal_date(closed_at: datetime | None, retention_years: int | None) -> date | None:
    """Retention runs from the end of the year the file was closed; None while open or kept forever."""
    if closed_at is None or retention_years is None:
        return None
    return date(closed_at.astimezone(LOCAL_TIMEZONE).year + retention_years + 1, 1, 1)


def _next_sequence(uow: UnitOfWork, plan_code: str, year: int) -> int:
    """Atomically take the next number; the counter row stays locked until commit, so no gaps and no twins."""
    dialect = uow.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    upsert = insert(ReferenceCounter).values(plan_code=plan_code, year=year, last_sequence=1).on_conflict_do_update(
        index_elements=["plan_code", "year"], set_={"last_sequence": ReferenceCounter.last_sequence + 1}
    )
    return int(uow.session.execute(upsert.returning(ReferenceCounter.last_sequence)).scalar_one())


def _text(value: object, name: str, limit: int = MAX_TITLE) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed(f"{name} is required", {name: "required"})
    if len(value) > limit:
        raise ValidationFailed(f"{name} is longer than {limit} characters", {name: f"at most {limit} characters"})
    return value.strip()


def parse_date(value: object, name: str) -> date | None:
    """An ISO date (YYYY-MM-DD) or None; anything else names the field."""
    if value is None or value == "":
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationFailed(f"{name} must be a date like 2026-12-31, not {value!r}",
                               {name: "must be a date (YYYY-MM-DD)"}) from None


def _retention(value: object) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 200:
        raise ValidationFailed("retention_years must be a whole number of years (0-200)",
                               {"retention_years": "0-200"})
    return value


@dataclass(frozen=True)
class NewFile:
    """What a caller supplies to open a file; `retention_years` defaults to the plan entry's."""

    plan_code: str
    title: str
    owning_unit: str
    confidentiality: str = "internal"
    retention_years: int | None = None
    follow_up_date: date | None = None


def _check_authority(principal: Principal, unit: str, level: Confidentiality) -> None:
    if principal.is_admin:
        return
    if unit not in principal.units:
        raise Forbidden(f"{principal.name} cannot create files for unit {unit}")
    if level > principal.clearance:
        raise Forbidden(f"{principal.name} is not cleared for {level.label} files")


def create_file(uow: UnitOfWork, clock: Clock, principal: Principal, new: NewFile) -> FileView:
    """Open a file under a plan entry with the next reference number of its code and year."""
    entry = get_entry(uow, _text(new.plan_code, "plan_code", 64))
    title = _text(new.title, "title")
    unit = _text(new.owning_unit, "owning_unit", 64)
    level = Confidentiality.parse(new.confidentiality)
    _check_authority(principal, unit, level)
    retention = _retention(new.retention_years) if new.retention_years is not None else entry.retention_years
    now = clock.now()
    year = now.astimezone(LOCAL_TIMEZONE).year
    sequence = _next_sequence(uow, entry.code, year)
    row = RecordFile(
        id=uuid.uuid4(), reference_number=reference_number(entry.code, year, sequence), plan_code=entry.code,
        year=year, sequence=sequence, title=title, owning_unit=unit, confidentiality=int(level), status="open",
        retention_years=retention, follow_up_date=new.follow_up_date, created_at=now, created_by=principal.name,
    )
    uow.session.add(row)
    view = FileView.of(row)
    audit.record(uow, actor=principal.name, action="create", entity_type="file", entity_id=row.id, at=now,
                 file_id=row.id, after=_audited(view))
    return view


def _audited(view: FileView) -> dict[str, Any]:
    return {key: value for key, value in view.__dict__.items() if key not in ("created_at", "created_by")}


def get_file(uow: UnitOfWork, principal: Principal, file_id: str | uuid.UUID) -> FileView:
    return FileView.of(require_file(uow, principal, file_id))


def find_file(uow: UnitOfWork, principal: Principal, reference: str) -> FileView:
    """A visible file by its reference number."""
    query = select(RecordFile).where(RecordFile.reference_number == reference.strip(), visible_files(principal))
    found = uow.session.scalars(query).one_or_none()
    if found is None:
        raise NotFound(f"no visible file with reference number {reference!r}")
    return FileView.of(found)


def file_by_reference_or_id(uow: UnitOfWork, principal: Principal, reference_or_id: str) -> FileView:
    """A visible file named by its reference number (it contains "/") or by its id."""
    if "/" in reference_or_id:
        return find_file(uow, principal, reference_or_id)
    return get_file(uow, principal, reference_or_id)


def list_files(
    uow: UnitOfWork, principal: Principal, *, status: str | None = None, plan_code: str | None = None,
    limit: int = 100, after: str | None = None,
) -> list[FileView]:
    """Visible files ordered by reference number; `after` continues from the last one of a page (keyset)."""
    query = select(RecordFile).where(visible_files(principal)).order_by(RecordFile.reference_number)
    if status:
        query = query.where(RecordFile.status == status)
    if plan_code:
        query = query.where(RecordFile.plan_code == plan_code)
    if after:
        query = query.where(RecordFile.reference_number > after)
    return [FileView.of(row) for row in uow.session.scalars(query.limit(max(1, min(limit, 1000))))]


EDITABLE = ("title", "follow_up_date", "confidentiality", "retention_years")


def update_file(
    uow: UnitOfWork, clock: Clock, principal: Principal, file_id: str | uuid.UUID, changes: dict[str, Any]
) -> FileView:
    """Change title, follow-up date, confidentiality or retention; audited with before and after."""
    if not changes:
        raise ValidationFailed(f"nothing to change; editable: {', '.join(EDITABLE)}", {"changes": "empty"})
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ValidationFailed(f"cannot change {', '.join(unknown)}; editable: {', '.join(EDITABLE)}",
                               {name: "not editable" for name in unknown})
    row = require_file(uow, principal, file_id, for_update=True)
    before = _audited(FileView.of(row))
    if "title" in changes:
        row.title = _text(changes["title"], "title")
    if "follow_up_date" in changes:
        row.follow_up_date = parse_date(changes["follow_up_date"], "follow_up_date")
    if "confidentiality" in changes:
        level = Confidentiality.parse(str(changes["confidentiality"]))
        _check_authority(principal, row.owning_unit, level)
        row.confidentiality = int(level)
    if "retention_years" in changes:
        row.retention_years = _retention(changes["retention_years"])
        row.disposal_date = disposal_date(row.closed_at, row.retention_years)
    return _audit_change(uow, clock, principal, row, before, "update")


def close_file(uow: UnitOfWork, clock: Clock, principal: Principal, file_id: str | uuid.UUID) -> FileView:
    """Close a file: the retention period starts, the disposal date is derived."""
    row = require_file(uow, principal, file_id, for_update=True)
    if row.status == "closed":
        raise Conflict(f"file {row.reference_number} is already closed")
    before = _audited(FileView.of(row))
    row.status, row.closed_at = "closed", clock.now()
    row.disposal_date = disposal_date(row.closed_at, row.retention_years)
    return _audit_change(uow, clock, principal, row, before, "close")


def _audit_change(
    uow: UnitOfWork, clock: Clock, principal: Principal, row: RecordFile, before: dict[str, Any], action: str
) -> FileView:
    uow.flush()
    view = FileView.of(row)
    audit.record(uow, actor=principal.name, action=action, entity_type="file", entity_id=row.id, at=clock.now(),
                 file_id=row.id, before=before, after=_audited(view))
    return view
