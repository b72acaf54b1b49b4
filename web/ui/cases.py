"""The case view: the file, its documents (preview, download, upload), notes, history and the BPMN diagram."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from core.db import UnitOfWork
from core.errors import NotFound, ValidationFailed
from core.ids import parse_uuid
from engine.deploy import procedures
from engine.diagram import instance_diagram
from engine.instances import get_instance
from engine.views import InstanceView
from records import audit, cases, documents, files, notes
from records.access import Principal
from records.documents import Upload
from records.views import CaseView
from web.people import require_identity
from web.services import services

bp = Blueprint("cases", __name__)
INLINE_PREVIEW = ("application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp")


@dataclass(frozen=True)
class HistoryItem:
    at: datetime
    actor: str | None
    what: str
    detail: str


def case_context(uow: UnitOfWork, principal: Principal, case_id: str | uuid.UUID) -> dict[str, Any]:
    """Everything the case panel shows (also beside a task form); NotFound when the user may not see it."""
    svc = services()
    case = cases.get_case(uow, svc.records, principal, case_id)
    instance = get_instance(uow, case.process_instance_id, with_history=True) if case.process_instance_id else None
    diagram = instance_diagram(uow, case.process_instance_id) if case.process_instance_id else None
    names = diagram.names if diagram else {}
    return {
        "case": case,
        "status_label": status_label(case.status),
        "procedure_name": procedure_name(uow, case.procedure),
        "file": files.get_file(uow, principal, case.file_id),
        "documents": documents.list_documents(uow, principal, case_id=case.id),
        "notes": notes.list_notes(uow, principal, case_id=case.id),
        "instance": instance,
        "history": _history(uow, case, instance, names),
        "diagram": diagram,
        "diagram_active": json.dumps(diagram.active if diagram else []),
        "diagram_completed": json.dumps(diagram.completed if diagram else []),
        "inline_types": INLINE_PREVIEW,
    }


def status_label(status: str) -> str:
    """A case status (records.cases.case_status) in the user's language."""
    labels = {"open": _("open"), "in_progress": _("in progress"), "suspended": _("suspended"),
              "completed": _("completed"), "cancelled": _("cancelled"), "closed": _("closed")}
    return labels.get(status, status)


def procedure_name(uow: UnitOfWork, key: str | None) -> str | None:
    """The name of the procedure `key` as its latest version calls it (the key when it has none)."""
    if key is None:
        return None
    return next((name or key for found, name, _fields in procedures(uow) if found == key), key)


def _history(uow: UnitOfWork, case: CaseView, instance: InstanceView | None,
             names: dict[str, str] | None = None) -> list[HistoryItem]:
    """The engine's event history and the audit trail of the file, newest first (elements by their names)."""
    items = [HistoryItem(entry.at, entry.actor, f"{entry.entity_type}: {entry.action}", _audit_detail(entry.after))
             for entry in audit.history(uow, file_id=case.file_id, limit=200)]
    for event in instance.history if instance else []:
        detail = (names or {}).get(event.element_id or "", event.element_id or "")
        comment = event.payload.get("comment") if isinstance(event.payload, dict) else None
        behalf = event.payload.get("on_behalf_of") if isinstance(event.payload, dict) else None
        if behalf:
            detail += " — " + _("for %(user)s", user=behalf)
        if comment:
            detail += f" — {comment}"
        items.append(HistoryItem(datetime.fromisoformat(event.created_at), event.actor, event.kind, detail))
    return sorted(items, key=lambda item: item.at, reverse=True)


def _audit_detail(after: dict[str, Any] | None) -> str:
    if not after:
        return ""
    for key in ("title", "text", "status", "outcome"):
        if isinstance(after.get(key), str):
            return str(after[key])[:200]
    return ""


@bp.get("/cases/<case_id>")
def show(case_id: str) -> str:
    principal = require_identity().principal()
    with services().db.unit_of_work() as uow:
        context = case_context(uow, principal, case_id)
    return render_template("cases/show.html", **context)


@bp.get("/files/<file_id>")
def file(file_id: str) -> str:
    principal = require_identity().principal()
    svc = services()
    with svc.db.unit_of_work() as uow:
        found = files.get_file(uow, principal, file_id)
        context = {"file": found, "cases": cases.list_cases(uow, svc.records, principal, found.id),
                   "documents": documents.list_documents(uow, principal, file_id=found.id),
                   "inline_types": INLINE_PREVIEW}
    return render_template("cases/file.html", **context)


@bp.get("/cases/<case_id>/diagram.bpmn")
def diagram(case_id: str) -> Response:
    principal = require_identity().principal()
    with services().db.unit_of_work() as uow:
        case = cases.get_case(uow, services().records, principal, case_id)
        if case.process_instance_id is None:
            raise NotFound(f"case {case_id} has no process")
        xml = instance_diagram(uow, case.process_instance_id).bpmn_xml
    return Response(xml, mimetype="application/xml")


def _back(case_id: str) -> BaseResponse:
    target = request.form.get("back", "")
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect(url_for("cases.show", case_id=case_id))


@bp.post("/cases/<case_id>/documents")
def upload(case_id: str) -> BaseResponse:
    principal = require_identity().principal()
    sent = [item for item in request.files.getlist("file") if item.filename]
    if not sent:
        flash(_("Choose a file to upload."), "error")
        return _back(case_id)
    svc = services()
    with svc.db.unit_of_work() as uow:
        added = documents.add_documents(uow, svc.records, principal,
                                        (Upload(item.stream, item.filename, item.mimetype) for item in sent),
                                        case_id=case_id)
        uow.commit()
    flash(_("%(count)d document(s) added.", count=len(added)), "info")
    return _back(case_id)


@bp.post("/documents/<document_id>/versions")
def new_version(document_id: str) -> BaseResponse:
    principal = require_identity().principal()
    sent = request.files.get("file")
    svc = services()
    with svc.db.unit_of_work() as uow:
        document = documents.get_document(uow, principal, document_id)
        back = str(document.case_id) if document.case_id else ""
        if sent is None or not sent.filename:
            raise ValidationFailed(_("Choose a file to upload."))
        documents.add_version(uow, svc.records, principal, document_id, Upload(sent.stream, sent.filename,
                                                                              sent.mimetype))
        uow.commit()
    flash(_("New version saved."), "info")
    if not back:
        return redirect(url_for("cases.file", file_id=str(document.file_id)))
    return _back(back)


@bp.post("/cases/<case_id>/notes")
def add_note(case_id: str) -> BaseResponse:
    principal = require_identity().principal()
    svc = services()
    parse_uuid(case_id, "case")
    with svc.db.unit_of_work() as uow:
        try:
            notes.add_note(uow, svc.records, principal, request.form.get("text", ""), case_id=case_id)
        except ValidationFailed as error:
            flash(error.message, "error")
            return _back(case_id)
        uow.commit()
    flash(_("Note added."), "info")
    return _back(case_id)
