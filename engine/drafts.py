"""Task drafts: form data a person saved without completing the task ("Save draft").

A draft belongs to one task and one person; it is not validated beyond being a JSON object of bounded
size, and it is deleted when the task completes or is cancelled (engine/taskindex.py `drop_closed`).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from core.db import UnitOfWork
from core.errors import Conflict, ValidationFailed
from engine.actors import TaskActor
from engine.models import TaskDraft
from engine.tasks import open_task_for, task_row

MAX_DRAFT_BYTES = 1_000_000


def save_draft(uow: UnitOfWork, actor: TaskActor, task_id: str | uuid.UUID, data: dict[str, Any], *,
               now: datetime | None = None) -> None:
    """Keep `data` as the actor's draft of an open task they may work on (replacing an earlier one)."""
    if not isinstance(data, dict):
        raise ValidationFailed("a draft must be a JSON object", {"data": "expected an object"})
    try:
        size = len(json.dumps(data, ensure_ascii=False, allow_nan=False).encode())
    except (TypeError, ValueError):
        raise ValidationFailed("a draft must be plain JSON", {"data": "not JSON"}) from None
    if size > MAX_DRAFT_BYTES:
        raise ValidationFailed("the draft is too large", {"data": f"at most {MAX_DRAFT_BYTES} bytes"})
    row = open_task_for(uow, actor, task_id)
    moment = now or datetime.now(UTC)
    draft = uow.session.get(TaskDraft, (row.id, actor.name))
    if draft is None:
        uow.session.add(TaskDraft(task_id=row.id, user=actor.name, data=data, saved_at=moment))
    else:
        draft.data, draft.saved_at = data, moment
    try:
        uow.flush()
    except IntegrityError:
        raise Conflict("the draft was saved concurrently; save again") from None


def get_draft(uow: UnitOfWork, actor: TaskActor, task_id: str | uuid.UUID) -> dict[str, Any] | None:
    """The actor's draft of the task, or None (also once the task is closed). NotFound for unknown tasks."""
    row = task_row(uow, task_id)
    if row.status != "open":
        return None
    draft = uow.session.get(TaskDraft, (row.id, actor.name))
    return dict(draft.data) if draft is not None else None
