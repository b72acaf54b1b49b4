"""JSON API v1: deployments, process definitions, instances and tasks."""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import Blueprint, Response, jsonify, request

from core.errors import Forbidden, NotFound, ValidationFailed
from engine import deploy as deploy_service
from engine import instances, tasks
from engine.actors import may_work
from engine.workflow.parsing import SourceFile
from web.people import require_identity, requires_role, task_actor
from web.security import api_protect
from web.services import int_arg, json_body, services

bp = Blueprint("api_v1", __name__, url_prefix="/api/v1")


@bp.before_request
def _authenticated() -> None:
    """Every API call needs a bearer token or a session (401 first), then CSRF when it uses the session."""
    require_identity()
    api_protect()


def json_response(value: Any, status: int = 200) -> tuple[Response, int]:
    if isinstance(value, list):
        return jsonify([dataclasses.asdict(item) for item in value]), status
    return jsonify(dataclasses.asdict(value)), status


@bp.post("/deployments")
@requires_role("designer")
def create_deployment() -> tuple[Response, int]:
    uploads = request.files.getlist("files") or list(request.files.values())
    if not uploads:
        raise ValidationFailed("send the model files as multipart/form-data field 'files'", {"files": "required"})
    limit = services().settings.max_model_bytes
    files = []
    for upload in uploads:
        content = upload.stream.read(limit + 1)
        files.append(SourceFile(upload.filename or "upload", content))
    ctx = services().engine
    with services().db.unit_of_work() as uow:
        result = deploy_service.deploy(uow, ctx, files, deployed_by=require_identity().login)
        uow.commit()
    body = dataclasses.asdict(result)
    body["warnings"] = [str(w) for w in result.warnings]
    return jsonify(body), 201 if result.deployment_id else 200


@bp.get("/process-definitions")
def list_definitions() -> tuple[Response, int]:
    with services().db.unit_of_work() as uow:
        return json_response(deploy_service.list_definitions(uow, key=request.args.get("key")))


@bp.post("/process-instances")
@requires_role("caseworker", "supervisor")
def start_instance() -> tuple[Response, int]:
    body = json_body()
    key = body.get("key")
    if not isinstance(key, str) or not key:
        raise ValidationFailed("'key' (the process id) is required", {"key": "required"})
    version = body.get("version")
    if version is not None and not isinstance(version, int):
        raise ValidationFailed("'version' must be an integer", {"version": "must be an integer"})
    business_key = body.get("business_key")
    if business_key is not None and not isinstance(business_key, str):
        raise ValidationFailed("'business_key' must be a string", {"business_key": "must be a string"})
    with services().db.unit_of_work() as uow:
        view = instances.start_instance(uow, services().engine, key, body.get("data", {}),
                                        business_key=business_key, version=version,
                                        started_by=require_identity().login)
        uow.commit()
    return json_response(view, 201)


@bp.get("/process-instances/<instance_id>")
@requires_role("supervisor", "designer")
def show_instance(instance_id: str) -> tuple[Response, int]:
    with services().db.unit_of_work() as uow:
        return json_response(instances.get_instance(uow, instance_id, with_history=True))


@bp.get("/tasks")
def list_tasks() -> tuple[Response, int]:
    """All tasks for supervisors; others list only their own (`assignee` defaults to them)."""
    identity = require_identity()
    assignee = request.args.get("assignee")
    if not identity.has_role("supervisor"):
        if assignee not in (None, identity.login):
            raise Forbidden("only supervisors list other people's tasks")
        assignee = identity.login
    limit = int_arg("limit", 200)
    with services().db.unit_of_work() as uow:
        return json_response(tasks.list_tasks(uow, instance_id=request.args.get("instance_id"),
                                      status=request.args.get("status", "open"), assignee=assignee, limit=limit))


@bp.get("/tasks/<task_id>")
def show_task(task_id: str) -> tuple[Response, int]:
    identity = require_identity()
    with services().db.unit_of_work() as uow:
        view = tasks.get_task(uow, task_id)
    if not identity.has_role("supervisor") and not may_work(task_actor(identity), view):
        raise NotFound(f"task {task_id} not found")
    return json_response(view)


@bp.post("/tasks/<task_id>/complete")
def complete_task(task_id: str) -> tuple[Response, int]:
    body = json_body()
    with services().db.unit_of_work() as uow:
        view = tasks.complete_task(uow, services().engine, task_id, body.get("data", {}), actor=task_actor())
        uow.commit()
    return json_response(view)
