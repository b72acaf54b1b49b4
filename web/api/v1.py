"""JSON API v1: deployments, process definitions, instances and tasks."""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import Blueprint, Response, jsonify, request

from core.errors import ValidationFailed
from engine import deploy as deploy_service
from engine import instances, tasks
from engine.workflow.parsing import SourceFile
from web.services import int_arg, json_body, services

bp = Blueprint("api_v1", __name__, url_prefix="/api/v1")


def json_response(value: Any, status: int = 200) -> tuple[Response, int]:
    if isinstance(value, list):
        return jsonify([dataclasses.asdict(item) for item in value]), status
    return jsonify(dataclasses.asdict(value)), status


@bp.post("/deployments")
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
        result = deploy_service.deploy(uow, ctx, files)
        uow.commit()
    body = dataclasses.asdict(result)
    body["warnings"] = [str(w) for w in result.warnings]
    return jsonify(body), 201 if result.deployment_id else 200


@bp.get("/process-definitions")
def list_definitions() -> tuple[Response, int]:
    with services().db.unit_of_work() as uow:
        return json_response(deploy_service.list_definitions(uow, key=request.args.get("key")))


@bp.post("/process-instances")
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
                                        business_key=business_key, version=version)
        uow.commit()
    return json_response(view, 201)


@bp.get("/process-instances/<instance_id>")
def show_instance(instance_id: str) -> tuple[Response, int]:
    with services().db.unit_of_work() as uow:
        return json_response(instances.get_instance(uow, instance_id, with_history=True))


@bp.get("/tasks")
def list_tasks() -> tuple[Response, int]:
    limit = int_arg("limit", 200)
    with services().db.unit_of_work() as uow:
        return json_response(tasks.list_tasks(uow, instance_id=request.args.get("instance_id"),
                                      status=request.args.get("status", "open"),
                                      assignee=request.args.get("assignee"), limit=limit))


@bp.get("/tasks/<task_id>")
def show_task(task_id: str) -> tuple[Response, int]:
    with services().db.unit_of_work() as uow:
        return json_response(tasks.get_task(uow, task_id))


@bp.post("/tasks/<task_id>/complete")
def complete_task(task_id: str) -> tuple[Response, int]:
    body = json_body()
    user = body.get("user")
    if user is not None and not isinstance(user, str):
        raise ValidationFailed("'user' must be a string", {"user": "must be a string"})
    with services().db.unit_of_work() as uow:
        view = tasks.complete_task(uow, services().engine, task_id, body.get("data", {}), user=user)
        uow.commit()
    return json_response(view)
