"""JSON API v1 for the e-file: file plan, files, cases, documents (streamed up and down) and notes."""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import Response, jsonify, request

from core.errors import ValidationFailed
from records import cases, documents, fileplan, files, notes
from records.audit import history
from web.api.v1 import bp, json_response
from web.casestart import new_file_from, start_case
from web.principal import current_principal
from web.services import int_arg, json_body, no_nul, services
from web.uploads import MultipartStream, request_parts


def _string(body: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise ValidationFailed(f"'{name}' must be a non-empty string", {name: "required string"})
    return value


@bp.get("/fileplan")
def list_file_plan() -> tuple[Response, int]:
    with services().db.unit_of_work() as uow:
        entries = fileplan.list_entries(uow)
        return jsonify([{"code": e.code, "parent_code": e.parent_code, "title": e.title,
                         "retention_years": e.retention_years} for e in entries]), 200


@bp.post("/files")
def create_file() -> tuple[Response, int]:
    new = new_file_from(json_body())
    with services().db.unit_of_work() as uow:
        view = files.create_file(uow, services().records.clock, current_principal(), new)
        uow.commit()
    return json_response(view, 201)


@bp.get("/files")
def list_files() -> tuple[Response, int]:
    args = {name: no_nul(value, name) for name, value in request.args.items()}
    limit = int_arg("limit", 100)
    with services().db.unit_of_work() as uow:
        if args.get("reference"):
            return json_response([files.find_file(uow, current_principal(), args["reference"])])
        return json_response(files.list_files(uow, current_principal(), status=args.get("status"),
                                              plan_code=args.get("plan_code"), limit=limit, after=args.get("after")))


@bp.get("/files/<file_id>")
def show_file(file_id: str) -> tuple[Response, int]:
    svc, principal = services(), current_principal()
    with svc.db.unit_of_work() as uow:
        body = dataclasses.asdict(files.get_file(uow, principal, file_id))
        body["cases"] = [dataclasses.asdict(c) for c in cases.list_cases(uow, svc.records, principal, file_id)]
        body["documents"] = [dataclasses.asdict(d) for d in documents.list_documents(uow, principal, file_id=file_id)]
        body["notes"] = [dataclasses.asdict(n) for n in notes.list_notes(uow, principal, file_id=file_id)]
    return jsonify(body), 200


@bp.patch("/files/<file_id>")
def update_file(file_id: str) -> tuple[Response, int]:
    changes = json_body()
    with services().db.unit_of_work() as uow:
        view = files.update_file(uow, services().records.clock, current_principal(), file_id, changes)
        uow.commit()
    return json_response(view)


@bp.post("/files/<file_id>/close")
def close_file(file_id: str) -> tuple[Response, int]:
    with services().db.unit_of_work() as uow:
        view = files.close_file(uow, services().records.clock, current_principal(), file_id)
        uow.commit()
    return json_response(view)


@bp.get("/files/<file_id>/audit")
def file_audit(file_id: str) -> tuple[Response, int]:
    with services().db.unit_of_work() as uow:
        file = files.get_file(uow, current_principal(), file_id)
        entries = history(uow, file_id=file.id)
        return jsonify([{"seq": e.seq, "at": e.at.isoformat(), "actor": e.actor, "action": e.action,
                         "entity_type": e.entity_type, "entity_id": e.entity_id, "before": e.before,
                         "after": e.after, "hash": e.hash} for e in entries]), 200


@bp.post("/cases")
def create_case() -> tuple[Response, int]:
    body = json_body()
    file = body.get("file", body.get("file_id"))
    if not isinstance(file, str | dict):
        raise ValidationFailed("'file' must be a reference number, a file id or a new file's fields",
                               {"file": "required"})
    process = body.get("process")
    if process is not None and not (isinstance(process, dict) and isinstance(process.get("key"), str)
                                    and isinstance(process.get("data", {}), dict)):
        raise ValidationFailed("'process' must be {\"key\": ..., \"data\": {...}}", {"process": "invalid"})
    with services().db.unit_of_work() as uow:
        started = start_case(uow, services(), current_principal(), file=file,
                             title=_string(body, "title", required=True) or "", applicant=body.get("applicant"),
                             process_key=process["key"] if process else None,
                             data=process.get("data") if process else None)
        uow.commit()
    result = dataclasses.asdict(started.case)
    result["process_instance"] = dataclasses.asdict(started.instance) if started.instance else None
    return jsonify(result), 201


@bp.get("/cases/<case_id>")
def show_case(case_id: str) -> tuple[Response, int]:
    svc, principal = services(), current_principal()
    with svc.db.unit_of_work() as uow:
        body = dataclasses.asdict(cases.get_case(uow, svc.records, principal, case_id))
        body["documents"] = [dataclasses.asdict(d) for d in documents.list_documents(uow, principal, case_id=case_id)]
        body["notes"] = [dataclasses.asdict(n) for n in notes.list_notes(uow, principal, case_id=case_id)]
    return jsonify(body), 200


@bp.post("/cases/<case_id>/close")
def close_case(case_id: str) -> tuple[Response, int]:
    body = json_body(required=False)
    with services().db.unit_of_work() as uow:
        view = cases.close_case(uow, services().records, current_principal(), case_id, _string(body, "outcome"))
        uow.commit()
    return json_response(view)


def _multipart() -> MultipartStream:
    """The request body as lazily read parts (fields before the first file are read already)."""
    return request_parts(services().settings.max_upload_bytes, "send the document as multipart/form-data field 'file'")


@bp.get("/cases/<case_id>/documents")
def list_case_documents(case_id: str) -> tuple[Response, int]:
    with services().db.unit_of_work() as uow:
        return json_response(documents.list_documents(uow, current_principal(), case_id=case_id))


@bp.post("/cases/<case_id>/documents")
def add_case_documents(case_id: str) -> tuple[Response, int]:
    parts = _multipart()
    with services().db.unit_of_work() as uow:
        added = documents.add_documents(uow, services().records, current_principal(), parts.files(),
                                        case_id=case_id, title=no_nul(parts.fields.get("title") or "", "title"))
        uow.commit()
    return json_response(added, 201)


@bp.get("/documents/<document_id>")
def show_document(document_id: str) -> tuple[Response, int]:
    """The document with its versions and how the text extraction of its latest version went."""
    from search.models import DocumentText

    with services().db.unit_of_work() as uow:
        view = documents.get_document(uow, current_principal(), document_id)
        text = uow.session.get(DocumentText, view.id)
        body = dataclasses.asdict(view)
        body["text_extraction"] = {"status": "pending", "error": None, "method": None, "pages": None}
        if text is not None and text.version == view.latest_version:
            body["text_extraction"] = {"status": text.status, "error": text.error, "method": text.method,
                                       "pages": text.pages}
    return jsonify(body), 200


@bp.post("/documents/<document_id>/versions")
def add_document_version(document_id: str) -> tuple[Response, int]:
    uploads = _multipart().files()
    with services().db.unit_of_work() as uow:
        first = next(uploads, None)
        if first is None:
            raise ValidationFailed("send the new version as multipart/form-data field 'file'", {"file": "required"})
        view = documents.add_version(uow, services().records, current_principal(), document_id, first)
        if next(uploads, None) is not None:
            raise ValidationFailed("send exactly one file for a new version", {"file": "exactly one"})
        uow.commit()
    return json_response(view, 201)


def _add_note(body: dict[str, Any], **owner: str) -> tuple[Response, int]:
    with services().db.unit_of_work() as uow:
        view = notes.add_note(uow, services().records, current_principal(), body.get("text"), **owner)
        uow.commit()
    return json_response(view, 201)


@bp.post("/cases/<case_id>/notes")
def add_case_note(case_id: str) -> tuple[Response, int]:
    return _add_note(json_body(), case_id=case_id)


@bp.post("/files/<file_id>/notes")
def add_file_note(file_id: str) -> tuple[Response, int]:
    return _add_note(json_body(), file_id=file_id)


@bp.patch("/notes/<note_id>")
def edit_note(note_id: str) -> tuple[Response, int]:
    body = json_body()
    with services().db.unit_of_work() as uow:
        view = notes.edit_note(uow, services().records, current_principal(), note_id, body.get("text"))
        uow.commit()
    return json_response(view)


@bp.delete("/notes/<note_id>")
def delete_note(note_id: str) -> tuple[Response, int]:
    with services().db.unit_of_work() as uow:
        notes.delete_note(uow, services().records, current_principal(), note_id)
        uow.commit()
    return jsonify({"deleted": note_id}), 200

