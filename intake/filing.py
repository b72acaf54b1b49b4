"""The files intake writes to, each created on first use under AKTE_INVOICE_PLAN_CODE.

* the **intake inbox** (Posteingang E-Rechnungen) of the central accounts-payable unit, one per year: every
  received item is stored here first, before anything is known about it (its document stays here as the
  record of receipt); rejected, duplicate and paper-like items stay here, with their notices;
* the **accounts-payable file** of a unit, one per unit and year: each accepted invoice becomes a case in
  it, with a copy of the invoice, its validation report and a readable rendering.

A closed file is never written to: the next use opens a new one.
"""

from __future__ import annotations

from sqlalchemy import bindparam, select

from core.clock import Clock
from core.db import UnitOfWork
from core.errors import ConfigurationError, NotFound
from core.settings import Settings
from intake.models import IntakeFile
from records.access import Principal
from records.fileplan import get_entry
from records.files import LOCAL_TIMEZONE, NewFile, create_file
from records.models import RecordFile

INBOX, PAYABLE = "inbox", "payable"
TITLES = {INBOX: "Posteingang E-Rechnungen {year}", PAYABLE: "Eingangsrechnungen {unit} {year}"}


def intake_principal(name: str, settings: Settings) -> Principal:
    """Who stores a received item: the receiving person or channel, acting for the central unit only (a
    caseworker of another unit may hand in an invoice without seeing the inbox file otherwise)."""
    return Principal(name=name, units=frozenset({settings.invoice_central_unit}))


# built once: every received item asks for the inbox file
_FILE_OF = select(RecordFile).join(IntakeFile, IntakeFile.file_id == RecordFile.id).where(
    IntakeFile.purpose == bindparam("purpose"), IntakeFile.unit == bindparam("unit"),
    IntakeFile.year == bindparam("year"))


def _open_file(uow: UnitOfWork, purpose: str, unit: str, year: int) -> RecordFile | None:
    file = uow.session.scalars(_FILE_OF, {"purpose": purpose, "unit": unit, "year": year}).one_or_none()
    return file if file is not None and file.status == "open" else None


def intake_file(uow: UnitOfWork, clock: Clock, settings: Settings, purpose: str, unit: str) -> RecordFile:
    """The open file of `purpose` for `unit` this year; created (and remembered) when there is none. Returned as
    the row: while the caller holds it, the records services it calls next find it loaded and do not read it
    again."""
    year = clock.now().astimezone(LOCAL_TIMEZONE).year
    found = _open_file(uow, purpose, unit, year)
    if found is not None:
        return found
    try:
        get_entry(uow, settings.invoice_plan_code)
    except NotFound:
        raise ConfigurationError(f"the file plan has no code {settings.invoice_plan_code!r} "
                                 "(AKTE_INVOICE_PLAN_CODE) for the e-invoice files; import it with "
                                 "`akte fileplan import` or set AKTE_INVOICE_PLAN_CODE") from None
    title = TITLES[purpose].format(unit=unit, year=year)
    creator = Principal.system("intake")
    view = create_file(uow, clock, creator, NewFile(settings.invoice_plan_code, title, unit))
    row = uow.session.get(IntakeFile, (purpose, unit, year))
    if row is None:
        uow.session.add(IntakeFile(purpose=purpose, unit=unit, year=year, file_id=view.id))
    else:  # the previous one was closed
        row.file_id = view.id
    uow.flush()  # a concurrent creator of the same file fails here (unique key) and retries later
    return uow.session.get_one(RecordFile, view.id)


def inbox_file(uow: UnitOfWork, clock: Clock, settings: Settings) -> RecordFile:
    """The intake inbox (Posteingang) of the central unit: where every item lives until it has a case."""
    return intake_file(uow, clock, settings, INBOX, settings.invoice_central_unit)


def payable_file(uow: UnitOfWork, clock: Clock, settings: Settings, unit: str) -> RecordFile:
    """The accounts-payable file of `unit` for this year."""
    return intake_file(uow, clock, settings, PAYABLE, unit)


def filed_in(uow: UnitOfWork, purpose: str | None = None) -> list[IntakeFile]:
    """The files intake has created, newest year first."""
    query = select(IntakeFile).order_by(IntakeFile.year.desc(), IntakeFile.purpose, IntakeFile.unit)
    if purpose:
        query = query.where(IntakeFile.purpose == purpose)
    return list(uow.session.scalars(query))
