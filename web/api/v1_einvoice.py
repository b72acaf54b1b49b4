"""JSON API v1: e-invoice delivery (the portal's channel) and the state of received items.

`POST /api/v1/einvoices` takes one or more multipart `file` parts, stores them (all or none) and answers 202
with the received items; the worker processes them afterwards — poll `GET /api/v1/einvoices/<id>`.
"""

from __future__ import annotations

from flask import Response, request

from intake.receive import get_item, list_items, receive
from web.api.v1 import bp, json_response
from web.people import requires_role
from web.principal import current_principal
from web.services import int_arg, no_nul, services
from web.uploads import MultipartStream, request_parts

MAX_FILES = 50


def _parts() -> MultipartStream:
    return request_parts(services().settings.intake_max_bytes,
                         "send the invoices as multipart/form-data parts named 'file'", max_files=MAX_FILES)


@bp.post("/einvoices")
@requires_role("caseworker")
def receive_einvoices() -> tuple[Response, int]:
    parts = _parts()
    svc = services()
    with svc.db.unit_of_work() as uow:
        received = receive(uow, svc, current_principal(), parts.files("file"), "api")
        uow.commit()
    return json_response(received, 202)


@bp.get("/einvoices")
def list_einvoices() -> tuple[Response, int]:
    status = request.args.get("status") or None
    before = request.args.get("before") or None
    with services().db.unit_of_work() as uow:
        return json_response(list_items(uow, current_principal(), status=no_nul(status, "status") if status else None,
                                        limit=int_arg("limit", 100), before=before))


@bp.get("/einvoices/<item_id>")
def show_einvoice(item_id: str) -> tuple[Response, int]:
    with services().db.unit_of_work() as uow:
        return json_response(get_item(uow, current_principal(), item_id))
