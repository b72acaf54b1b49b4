"""Service-task handlers that write decision letters and set a file's follow-up date (`akte.letter`,
`akte.file_follow_up`). Like those in `records.handlers` they run inside the worker's transaction and may only
touch the case driven by the calling process."""

from __future__ import annotations

import re
import uuid
from calendar import monthrange
from collections.abc import Callable
from datetime import date
from typing import Any

from core.db import UnitOfWork
from core.errors import ValidationFailed
from records.cases import require_case
from records.context import RecordsContext
from records.documents import Upload, add_document
from records.files import LOCAL_TIMEZONE, parse_date, update_file
from records.handlers import WORKER, own_case
from records.letters import Letterhead, LetterRequest, letter_pdf

TemplateLookup = Callable[[UnitOfWork, uuid.UUID, str], str]  # (uow, instance id, template name) -> Jinja source
DataLookup = Callable[[UnitOfWork, uuid.UUID], dict[str, Any]]  # (uow, instance id) -> process data
_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")
_SAFE_FILENAME = re.compile(r"[^\w.() -]+")


def _text_param(params: dict[str, Any], name: str, default: str | None = None) -> str:
    value = params.get(name, default)
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed(f"parameter {name!r} (text) is required", {name: "required"})
    return value.strip()


def _recipient(params: dict[str, Any], data: dict[str, Any], applicant: dict[str, Any]) -> str:
    for source in (params, data):
        if isinstance(source.get("recipient"), str) and source["recipient"].strip():
            return str(source["recipient"]).strip()
    lines = [str(applicant.get(key)) for key in ("name", "address") if applicant.get(key)]
    return "\n".join(lines) or str(data.get("applicant_name") or "")


def letter(
    ctx: RecordsContext, letterhead: Letterhead, templates: TemplateLookup, process_data: DataLookup,
    uow: UnitOfWork, params: dict[str, Any], instance_id: uuid.UUID,
) -> dict[str, Any]:
    """Render letter template `template` with the process data and store it as a PDF document of the case."""
    case_id = own_case(uow, params, instance_id)
    case, file = require_case(uow, WORKER, case_id)
    title = _text_param(params, "title", "Schreiben")
    filename = _SAFE_FILENAME.sub("_", _text_param(params, "filename", f"{title}.pdf"))
    data = process_data(uow, instance_id)
    context = {**data, **params, "params": dict(params),
               "case": {"reference_number": file.reference_number, "title": case.title,
                        "applicant": dict(case.applicant)}}
    request = LetterRequest(
        body_template=templates(uow, instance_id, _text_param(params, "template")), subject=title,
        reference_number=file.reference_number, recipient=_recipient(params, data, case.applicant),
        day=ctx.clock.now().astimezone(LOCAL_TIMEZONE).date(), context=context,
        includes=lambda name: templates(uow, instance_id, name),
    )
    upload = Upload(letter_pdf(request, letterhead), filename, "application/pdf")
    view = add_document(uow, ctx, WORKER, upload, case_id=case_id, title=title, kind="letter")
    return {"document_id": str(view.id)}


def add_duration(start: date, duration: str) -> date:
    """`start` plus an ISO-8601 date duration (P5Y, P6M, P2W, P10D, P1Y6M); the day is clamped to the month."""
    match = _DURATION.match(duration.strip())
    if match is None or not any(match.groups()):
        raise ValidationFailed(f"{duration!r} is not an ISO-8601 duration in years/months/weeks/days such as P5Y",
                               {"after": "duration"})
    years, months, weeks, days = (int(part or 0) for part in match.groups())
    month_index = start.month - 1 + months + 12 * years
    year, month = start.year + month_index // 12, month_index % 12 + 1
    moved = date(year, month, min(start.day, monthrange(year, month)[1]))
    return date.fromordinal(moved.toordinal() + 7 * weeks + days)


def file_follow_up(ctx: RecordsContext, uow: UnitOfWork, params: dict[str, Any], instance_id: uuid.UUID
                   ) -> dict[str, Any]:
    """Set the follow-up date of the case's file: `date` (ISO), or `after` (duration from today)."""
    case, _file = require_case(uow, WORKER, own_case(uow, params, instance_id))
    if params.get("date"):
        when = parse_date(params["date"], "date")
    elif isinstance(params.get("after"), str):
        when = add_duration(ctx.clock.now().astimezone(LOCAL_TIMEZONE).date(), params["after"])
    else:
        raise ValidationFailed("akte.file_follow_up needs 'after' (a duration such as P5Y) or 'date'",
                               {"after": "required"})
    view = update_file(uow, ctx.clock, WORKER, case.file_id, {"follow_up_date": when})
    return {"follow_up_date": view.follow_up_date.isoformat() if view.follow_up_date else None}
