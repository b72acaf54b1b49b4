"""JSON API v1: messages, incidents and instance lifecycle (suspend, resume, cancel)."""

from __future__ import annotations

import dataclasses

from flask import Response, jsonify, request

from core.errors import ValidationFailed
from engine import instances, lifecycle, messages
from web.api.v1 import bp, json_response
from web.people import require_identity, requires_role
from web.services import json_body, services


@bp.post("/messages")
@requires_role("caseworker", "supervisor")
def send_message() -> tuple[Response, int]:
    body = json_body()
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValidationFailed("'name' (the message name) is required", {"name": "required"})
    correlate = body.get("correlate", {})
    if not isinstance(correlate, dict) or not all(isinstance(v, str | int) for v in correlate.values()):
        raise ValidationFailed("'correlate' must be an object of key: value", {"correlate": "must be an object"})
    data = body.get("data", {})
    if not isinstance(data, dict):
        raise ValidationFailed("'data' must be a JSON object", {"data": "must be an object"})
    deliver_to_all = body.get("all", False)
    if not isinstance(deliver_to_all, bool):
        raise ValidationFailed("'all' must be true or false", {"all": "must be a boolean"})
    with services().db.unit_of_work() as uow:
        result = messages.send_message(uow, services().engine, name, {k: str(v) for k, v in correlate.items()},
                                       data, deliver_to_all=deliver_to_all, actor=require_identity().login)
        uow.commit()
    return jsonify(dataclasses.asdict(result)), 200 if result.outcome == "delivered" else 202


@bp.get("/incidents")
@requires_role("supervisor")
def list_incidents() -> tuple[Response, int]:
    with services().db.unit_of_work() as uow:
        return json_response(lifecycle.list_incidents(uow, open_only=request.args.get("all") not in ("1", "true"),
                                              instance_id=request.args.get("instance_id")))


@bp.post("/incidents/<int:incident_id>/retry")
@requires_role("supervisor")
def retry_incident(incident_id: int) -> tuple[Response, int]:
    json_body(required=False)  # a body, when sent, must be valid JSON
    with services().db.unit_of_work() as uow:
        lifecycle.retry_incident(uow, services().engine, incident_id, actor=require_identity().login)
        uow.commit()
    return jsonify({"id": incident_id, "status": "resolved"}), 200


@bp.post("/process-instances/<instance_id>/<any(suspend, resume, cancel):action>")
@requires_role("supervisor")
def change_instance(instance_id: str, action: str) -> tuple[Response, int]:
    json_body(required=False)  # a body, when sent, must be valid JSON
    with services().db.unit_of_work() as uow:
        lifecycle.INSTANCE_ACTIONS[action](uow, services().engine, instance_id, actor=require_identity().login)
        view = instances.get_instance(uow, instance_id, with_history=True)
        uow.commit()
    return json_response(view)
