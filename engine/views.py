"""Plain read models the engine hands to the CLI and the web layer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.models import HumanTask, Incident, InstanceEvent, ProcessDefinition


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


@dataclass(frozen=True)
class DefinitionView:
    id: int
    key: str
    version: int
    name: str
    sha256: str
    source_file: str
    deployed_at: str
    deployed_by: str | None

    @classmethod
    def of(cls, row: ProcessDefinition) -> DefinitionView:
        return cls(row.id, row.key, row.version, row.name, row.sha256, row.source_file,
                   row.deployed_at.isoformat(), row.deployed_by)


@dataclass(frozen=True)
class TaskView:
    id: str
    name: str
    element_id: str
    instance_id: str
    process_key: str
    status: str
    assignee: str | None
    candidate_groups: list[str]
    due: str | None
    follow_up: str | None
    priority: int
    form_key: str | None
    form_schema: dict[str, Any] | None
    created_at: str
    completed_at: str | None
    completed_by: str | None
    reference: str | None = None  # the case's file reference (the instance's business key)
    process_name: str = ""
    applicant: str | None = None

    @classmethod
    def of(cls, row: HumanTask) -> TaskView:
        return cls(
            id=str(row.id), name=row.name, element_id=row.element_id, instance_id=str(row.instance_id),
            process_key=row.process_key, status=row.status, assignee=row.assignee,
            candidate_groups=list(row.candidate_groups), due=_iso(row.due_at), follow_up=_iso(row.follow_up_at),
            priority=row.priority, form_key=row.form_key, form_schema=row.form_schema,
            created_at=row.created_at.isoformat(), completed_at=_iso(row.completed_at),
            completed_by=row.completed_by, reference=row.reference, process_name=row.process_name,
            applicant=row.applicant,
        )


@dataclass(frozen=True)
class IncidentView:
    id: int
    instance_id: str
    element_id: str
    message: str
    created_at: str
    resolved_at: str | None
    task_id: str | None = None

    @classmethod
    def of(cls, row: Incident) -> IncidentView:
        return cls(row.id, str(row.instance_id), row.element_id, row.message, row.created_at.isoformat(),
                   _iso(row.resolved_at), str(row.task_id) if row.task_id else None)


@dataclass(frozen=True)
class EventView:
    kind: str
    element_id: str | None
    task_id: str | None
    actor: str | None
    payload: dict[str, Any]
    created_at: str

    @classmethod
    def of(cls, row: InstanceEvent) -> EventView:
        return cls(row.kind, row.element_id, str(row.task_id) if row.task_id else None, row.actor,
                   row.payload, row.created_at.isoformat())


@dataclass(frozen=True)
class InstanceView:
    id: str
    process_key: str
    process_version: int
    business_key: str | None
    status: str
    data: dict[str, Any]
    created_at: str
    ended_at: str | None
    open_tasks: list[TaskView] = field(default_factory=list)
    incidents: list[IncidentView] = field(default_factory=list)
    history: list[EventView] = field(default_factory=list)
