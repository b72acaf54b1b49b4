"""Open a case — in an existing file or a new one — and start its process, all in one transaction.

This is where the engine and the e-file meet: the case id travels in the process data as `case_id` (and the
applicant's name as `applicant_name`, for the inbox), and the file's reference number becomes the instance's
business key.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from core.bootstrap import Services
from core.db import UnitOfWork
from core.errors import ValidationFailed
from engine.instances import start_instance
from engine.views import InstanceView
from records.access import Principal
from records.cases import create_case, get_case, link_process
from records.files import NewFile, create_file, file_by_reference_or_id, parse_date
from records.views import CaseView


@dataclass(frozen=True)
class StartedCase:
    case: CaseView
    instance: InstanceView | None


def new_file_from(spec: dict[str, Any]) -> NewFile:
    """A `NewFile` from JSON (API body or CLI options); wrong types name the field."""
    for name in ("plan_code", "title", "owning_unit"):
        if not isinstance(spec.get(name), str):
            raise ValidationFailed(f"file.{name} is required", {f"file.{name}": "required"})
    confidentiality = spec.get("confidentiality", "internal")
    retention = spec.get("retention_years")
    if not isinstance(confidentiality, str):
        raise ValidationFailed("file.confidentiality must be a string", {"file.confidentiality": "string"})
    if retention is not None and (isinstance(retention, bool) or not isinstance(retention, int)):
        raise ValidationFailed("file.retention_years must be a whole number", {"file.retention_years": "integer"})
    return NewFile(plan_code=spec["plan_code"], title=spec["title"], owning_unit=spec["owning_unit"],
                   confidentiality=confidentiality, retention_years=retention,
                   follow_up_date=parse_date(spec.get("follow_up_date"), "follow_up_date"))


def start_case(
    uow: UnitOfWork, services: Services, principal: Principal, *, file: str | dict[str, Any], title: str,
    applicant: object = None, process_key: str | None = None, data: dict[str, Any] | None = None,
) -> StartedCase:
    """Create the case (and its file when `file` is a specification), then start `process_key` for it.

    `file` is a reference number or file id of an existing file, or a dict describing a new one.
    """
    ctx = services.records
    file_id: str | uuid.UUID
    if isinstance(file, dict):
        file_id = create_file(uow, ctx.clock, principal, new_file_from(file)).id
    else:
        file_id = file_by_reference_or_id(uow, principal, file).id
    case = create_case(uow, ctx, principal, file_id, title=title, applicant=applicant)
    if process_key is None:
        return StartedCase(case, None)
    payload = {**(data or {}), "case_id": str(case.id)}
    name = case.applicant.get("name")
    if isinstance(name, str) and name:
        payload.setdefault("applicant_name", name)  # the inbox shows it (engine/taskindex.py)
    instance = start_instance(uow, services.engine, process_key, payload, business_key=case.reference_number,
                              started_by=principal.name)
    link_process(uow, ctx, principal, case.id, uuid.UUID(instance.id))
    return StartedCase(get_case(uow, ctx, principal, case.id), instance)

