"""Who may see a file: the one rule every reader of files, cases, documents and notes goes through.

A principal sees a file when the file's owning organisational unit is one of the principal's units and the
principal's clearance is at least the file's confidentiality level. Administrators see everything.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import IntEnum

from sqlalchemy import ColumnElement, and_, inspect, select, true

from core.db import UnitOfWork
from core.errors import NotFound, ValidationFailed
from core.ids import parse_uuid
from records.models import RecordFile


class Confidentiality(IntEnum):
    """Confidentiality level of a file, and a principal's clearance (ordered: higher sees lower)."""

    PUBLIC = 0
    INTERNAL = 1
    CONFIDENTIAL = 2
    SECRET = 3

    @classmethod
    def parse(cls, name: str, field_name: str = "confidentiality") -> Confidentiality:
        try:
            return cls[name.strip().upper()]
        except KeyError:
            allowed = ", ".join(level.name.lower() for level in cls)
            raise ValidationFailed(
                f"{field_name} must be one of {allowed}, not {name!r}", {field_name: f"one of {allowed}"}
            ) from None

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Principal:
    """The acting person or system: name (for the audit trail), units, clearance, admin flag."""

    name: str
    units: frozenset[str] = field(default_factory=frozenset)
    clearance: Confidentiality = Confidentiality.INTERNAL
    is_admin: bool = False

    @classmethod
    def system(cls, name: str) -> Principal:
        """An administrative actor such as the CLI operator or the worker running service tasks."""
        return cls(name=name, clearance=Confidentiality.SECRET, is_admin=True)


def visible_files(principal: Principal) -> ColumnElement[bool]:
    """SQL condition on `RecordFile` selecting exactly the files `principal` may see."""
    if principal.is_admin:
        return true()
    return and_(
        RecordFile.owning_unit.in_(sorted(principal.units)),
        RecordFile.confidentiality <= int(principal.clearance),
    )


def sees(principal: Principal, file: RecordFile) -> bool:
    """The rule of `visible_files` for one file already loaded (keep the two the same)."""
    return principal.is_admin or (file.owning_unit in principal.units
                                  and file.confidentiality <= int(principal.clearance))


def require_file(
    uow: UnitOfWork, principal: Principal, file_id: str | uuid.UUID, *, for_update: bool = False
) -> RecordFile:
    """The file if `principal` may see it; otherwise `NotFound` (an invisible file does not exist for them).
    A file this transaction has loaded already is not read again (unless it is to be locked)."""
    key = parse_uuid(file_id, "file")
    loaded = None if for_update else uow.session.identity_map.get(uow.session.identity_key(RecordFile, key))
    if isinstance(loaded, RecordFile) and not inspect(loaded).expired_attributes:
        if not sees(principal, loaded):
            raise NotFound(f"file {file_id} does not exist or is not visible to {principal.name}")
        return loaded
    query = select(RecordFile).where(RecordFile.id == key, visible_files(principal))
    if for_update:
        query = query.with_for_update()
    found = uow.session.scalars(query).one_or_none()
    if found is None:
        raise NotFound(f"file {file_id} does not exist or is not visible to {principal.name}")
    return found
