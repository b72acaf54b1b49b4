"""Process instances: start, show, list."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from core.db import UnitOfWork
from core.errors import NotFound
from core.ids import parse_uuid
from engine.context import EngineContext
from engine.forms import require_object
from engine.models import HumanTask, Incident, InstanceEvent, ProcessDefinition, ProcessInstance
from engine.persistence import record_event
from engine.progress import Loaded, save
from engine.views import EventView, IncidentView, InstanceView, TaskView
from engine.workflow.runtime import SERIALIZER_VERSION


def latest_definition(uow: UnitOfWork, key: str) -> ProcessDefinition:
    definition = uow.session.scalars(
        select(ProcessDefinition).where(ProcessDefinition.key == key).order_by(ProcessDefinition.version.desc())
    ).first()
    if definition is None:
        raise NotFound(f"process {key!r} is not deployed")
    return definition


def start_instance(
    uow: UnitOfWork, ctx: EngineContext, key: str, data: dict[str, Any] | None = None, *,
    business_key: str | None = None, started_by: str | None = None, version: int | None = None,
    fired_start_event: str | None = None,
) -> InstanceView:
    """Start the latest (or the given) version of process `key` and run it until it waits."""
    payload = require_object(data if data is not None else {}, "data")
    definition = latest_definition(uow, key) if version is None else definition_version(uow, key, version)
    now = ctx.clock.now()
    live, snapshot = ctx.runtime.start(definition.id, lambda: definition.spec_json, dict(payload), now,
                                       fired_start_event)
    instance = ProcessInstance(
        id=uuid.uuid4(), definition_id=definition.id, process_key=definition.key, business_key=business_key,
        status="running", state=snapshot.state_json, serializer_version=SERIALIZER_VERSION, data={},
        started_by=started_by, created_at=now, updated_at=now,
    )
    uow.session.add(instance)
    uow.flush()  # the instance row first: history and task rows refer to it
    record_event(uow.session, instance.id, "started", now, actor=started_by,
                 payload={"version": definition.version, "business_key": business_key})
    save(uow, ctx, Loaded(instance, definition, live), snapshot, now, started_by)
    return _view(uow, instance, definition)


def instance_state(uow: UnitOfWork, instance_id: uuid.UUID) -> tuple[str, str, dict[str, Any]] | None:
    """(process key, status such as "running", values of the procedure's search fields) of an instance, or
    None if there is none."""
    row = uow.session.execute(
        select(ProcessInstance.process_key, ProcessInstance.status, ProcessInstance.data,
               ProcessDefinition.search_fields)
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .where(ProcessInstance.id == instance_id)).one_or_none()
    if row is None:
        return None
    data = row.data or {}
    return row.process_key, row.status, {name: data[name] for name in row.search_fields or [] if name in data}


def definition_version(uow: UnitOfWork, key: str, version: int) -> ProcessDefinition:
    """Version `version` of process `key`; NotFound if there is no such version."""
    definition = uow.session.scalars(
        select(ProcessDefinition).where(ProcessDefinition.key == key, ProcessDefinition.version == version)
    ).first()
    if definition is None:
        raise NotFound(f"process {key!r} has no version {version}")
    return definition


def get_instance(uow: UnitOfWork, instance_id: str | uuid.UUID, *, with_history: bool = False) -> InstanceView:
    instance = uow.session.get(ProcessInstance, parse_uuid(instance_id, "process instance"))
    if instance is None:
        raise NotFound(f"process instance {instance_id} not found")
    definition = uow.session.get(ProcessDefinition, instance.definition_id)
    assert definition is not None
    return _view(uow, instance, definition, with_history=with_history)


def _view(
    uow: UnitOfWork, instance: ProcessInstance, definition: ProcessDefinition, *, with_history: bool = False
) -> InstanceView:
    session = uow.session
    tasks = session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.status == "open")
        .order_by(HumanTask.created_at, HumanTask.name)
    )
    incidents = session.scalars(
        select(Incident).where(Incident.instance_id == instance.id, Incident.resolved_at.is_(None))
        .order_by(Incident.id)
    )
    history = (
        [EventView.of(e) for e in session.scalars(
            select(InstanceEvent).where(InstanceEvent.instance_id == instance.id).order_by(InstanceEvent.id))]
        if with_history else []
    )
    return InstanceView(
        id=str(instance.id), process_key=instance.process_key, process_version=definition.version,
        business_key=instance.business_key, status=instance.status, data=instance.data,
        created_at=instance.created_at.isoformat(),
        ended_at=instance.ended_at.isoformat() if instance.ended_at else None,
        open_tasks=[TaskView.of(t) for t in tasks], incidents=[IncidentView.of(i) for i in incidents],
        history=history,
    )
