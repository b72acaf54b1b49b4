"""Supervisor pages: open incidents with their error details; retry, or cancel the instance with a reason
(routes on the `supervisor` blueprint). A supervisor sees and handles the incidents of the cases they may see."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from flask import flash, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from core.db import UnitOfWork
from core.errors import AkteError, NotFound, ValidationFailed
from engine.lifecycle import cancel_instance, retry_incident
from engine.supervision import IncidentDetail, get_incident, open_incidents
from web.people import require_identity, requires_role
from web.services import services
from web.ui.supervisor import bp
from web.ui.supervisor.caselist import cases_of_instances, instances_with_incidents, steerable_instances
from web.ui.supervisor.cases import back_to

MAX_REASON = 2000


@bp.get("/incidents")
@requires_role("supervisor")
def incidents() -> str:
    principal = require_identity().principal()
    with services().db.unit_of_work() as uow:
        found = open_incidents(uow, within=instances_with_incidents(uow, principal))
        cases = cases_of_instances(uow, principal, {uuid.UUID(item.instance_id) for item in found})
    return render_template("supervisor/incidents.html", incidents=found,
                           cases={str(key): value for key, value in cases.items()})


def _steerable_incident(uow: UnitOfWork, incident_id: int) -> IncidentDetail:
    """The incident if the signed-in supervisor may handle it; otherwise it does not exist for them."""
    incident = get_incident(uow, incident_id)
    instance_id = uuid.UUID(incident.instance_id)
    within = steerable_instances(uow, require_identity().principal(), {instance_id})
    if within is not None and instance_id not in within:
        raise NotFound(f"incident {incident_id} not found")
    return incident


def _handle(act: Callable[[UnitOfWork], object], done: str) -> BaseResponse:
    """Run `act` in one unit of work and report the outcome as a flash message; NotFound stays a 404."""
    svc = services()
    try:
        with svc.db.unit_of_work() as uow:
            act(uow)
            uow.commit()
    except NotFound:
        raise
    except AkteError as error:
        flash(error.message, "error")
    else:
        flash(done, "info")
    return back_to(url_for("supervisor.incidents"))


def _reason() -> str:
    reason = request.form.get("reason", "").strip()
    if not reason:
        raise ValidationFailed(_("Please give a reason for cancelling."), {"reason": "required"})
    if len(reason) > MAX_REASON:
        raise ValidationFailed(_("The reason is too long."), {"reason": f"at most {MAX_REASON} characters"})
    return reason


@bp.post("/incidents/<int:incident_id>/retry")
@requires_role("supervisor")
def retry(incident_id: int) -> BaseResponse:
    def act(uow: UnitOfWork) -> None:
        _steerable_incident(uow, incident_id)
        retry_incident(uow, services().engine, incident_id, actor=require_identity().login)

    return _handle(act, _("Incident resolved; the step is tried again."))


@bp.post("/incidents/<int:incident_id>/cancel")
@requires_role("supervisor")
def cancel(incident_id: int) -> BaseResponse:
    """Cancel the incident's process instance; the reason is required and recorded in its history."""

    def act(uow: UnitOfWork) -> None:
        reason = _reason()  # checked first: a missing reason is reported whatever the incident
        incident = _steerable_incident(uow, incident_id)
        cancel_instance(uow, services().engine, incident.instance_id, actor=require_identity().login, reason=reason)

    return _handle(act, _("The process was cancelled."))
