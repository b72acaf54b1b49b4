"""Service-task handlers the e-file offers to BPMN models: `akte.attach_document`, `akte.close_case`.

Both run inside the worker's transaction, so the e-file change commits together with the task's completion.
Their inputs are the service task's parameters (map `case_id` from the process data in the model).
"""

from __future__ import annotations

import base64
import binascii
import io
import uuid
from typing import Any

from core.db import UnitOfWork
from core.errors import Forbidden, ValidationFailed
from records.access import Principal
from records.cases import close_case, require_case
from records.context import RecordsContext
from records.documents import Upload, add_document

WORKER = Principal.system("akte worker")


def _content(params: dict[str, Any]) -> bytes:
    if isinstance(params.get("content"), str):
        return str(params["content"]).encode()
    if isinstance(params.get("content_base64"), str):
        try:
            return base64.b64decode(str(params["content_base64"]), validate=True)
        except binascii.Error as exc:
            raise ValidationFailed(f"content_base64 is not valid base64: {exc}") from exc
    raise ValidationFailed("akte.attach_document needs 'content' (text) or 'content_base64'")


def own_case(uow: UnitOfWork, params: dict[str, Any], instance_id: uuid.UUID) -> uuid.UUID:
    """The case `case_id`, which must be driven by the calling process: a model cannot reach other cases."""
    case, _file = require_case(uow, WORKER, params.get("case_id") or "")
    if case.process_instance_id != instance_id:
        raise Forbidden(f"case {case.id} is not driven by process instance {instance_id}")
    return case.id


def attach_document(
    ctx: RecordsContext, uow: UnitOfWork, params: dict[str, Any], instance_id: uuid.UUID
) -> dict[str, Any]:
    """Store `content` as a new document of case `case_id`; returns `{"document_id": ...}`."""
    case_id = own_case(uow, params, instance_id)
    upload = Upload(io.BytesIO(_content(params)), params.get("filename"), params.get("media_type"))
    view = add_document(uow, ctx, WORKER, upload, case_id=case_id, title=params.get("title"))
    return {"document_id": str(view.id)}


def close_case_handler(
    ctx: RecordsContext, uow: UnitOfWork, params: dict[str, Any], instance_id: uuid.UUID
) -> dict[str, Any]:
    """Close case `case_id` with an optional `outcome`."""
    view = close_case(uow, ctx, WORKER, own_case(uow, params, instance_id), params.get("outcome"))
    return {"case_status": view.status}
