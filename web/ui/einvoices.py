"""E-invoice intake in the browser: upload invoices (stored at once, checked by the worker) and follow them."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from core.errors import NotFound, ValidationFailed
from intake.receive import get_item, list_items, receive
from records.documents import Upload, read_content
from records.letters import html_to_pdf
from web.api.v1_content import content_disposition
from web.people import require_identity, requires_role
from web.services import services

bp = Blueprint("einvoices", __name__)
MAX_RENDERING_BYTES = 5 * 1024 * 1024
STATUSES = ("received", "processing", "accepted", "rejected", "duplicate", "paper", "failed")


@bp.get("/einvoices")
@requires_role("caseworker", "supervisor")
def index() -> str:
    principal = require_identity().principal()
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    with services().db.unit_of_work() as uow:
        items = list_items(uow, principal, status=status, limit=100)
    return render_template("einvoices/index.html", items=items, status=status, statuses=STATUSES)


@bp.get("/einvoices/<item_id>")
@requires_role("caseworker", "supervisor")
def show(item_id: str) -> str:
    principal = require_identity().principal()
    with services().db.unit_of_work() as uow:
        item = get_item(uow, principal, item_id)
    return render_template("einvoices/show.html", item=item)


@bp.get("/einvoices/<item_id>/rendering.pdf")
@requires_role("caseworker", "supervisor")
def rendering_pdf(item_id: str) -> Response:
    """The readable rendering of an accepted invoice as PDF, made from its stored HTML when asked for."""
    principal = require_identity().principal()
    svc = services()
    with svc.db.unit_of_work() as uow:
        item = get_item(uow, principal, item_id)
        document_id = item.documents.get("rendering")
        if not document_id:
            raise NotFound(f"e-invoice {item_id} has no readable rendering")
        content = read_content(uow, svc.records, principal, document_id)
        with svc.records.blobs.open(content.blob_key) as stream:
            html = stream.read(MAX_RENDERING_BYTES + 1).decode("utf-8", "replace")
        uow.commit()  # the read is audited
    if len(html) > MAX_RENDERING_BYTES:
        raise ValidationFailed("the rendering is too large to print")
    name = f"Rechnung-{item.invoice_number or item.id}.pdf"
    return Response(html_to_pdf(html), mimetype="application/pdf",
                    headers={"Content-Disposition": content_disposition("attachment", name)})


@bp.post("/einvoices")
@requires_role("caseworker")
def upload() -> BaseResponse:
    principal = require_identity().principal()
    sent = [item for item in request.files.getlist("file") if item.filename]
    if not sent:
        flash(_("Choose a file to upload."), "error")
        return redirect(url_for("einvoices.index"))
    svc = services()
    with svc.db.unit_of_work() as uow:
        received = receive(uow, svc, principal, (Upload(item.stream, item.filename, item.mimetype) for item in sent))
        uow.commit()
    again = sum(1 for item in received if item.already_received)
    flash(_("%(count)d invoice(s) received; they are checked in the background.", count=len(received) - again)
          + (" " + _("%(count)d had been received before.", count=again) if again else ""), "info")
    return redirect(url_for("einvoices.index"))
