"""What a task's page shows besides the data: its form (JSON schema + UI schema) and instructions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from core.db import UnitOfWork
from core.errors import NotFound
from engine.models import HumanTask, ProcessDefinition


@dataclass(frozen=True)
class TaskForm:
    schema: dict[str, Any] | None
    ui_schema: dict[str, Any] | None
    instructions: str | None


def task_form(uow: UnitOfWork, task_id: uuid.UUID) -> TaskForm:
    row = uow.session.get(HumanTask, task_id)
    if row is None:
        raise NotFound(f"task {task_id} not found")
    definition = uow.session.get(ProcessDefinition, row.definition_id)
    meta: dict[str, Any] = (definition.user_tasks if definition else {}).get(row.element_id, {})
    return TaskForm(schema=row.form_schema, ui_schema=meta.get("form_ui_schema"),
                    instructions=meta.get("instructions"))
