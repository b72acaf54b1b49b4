"""Cancel, suspend and resume process instances; list and retry incidents."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select, update

from core.db import UnitOfWork
from core.errors import Conflict, NotFound
from core.ids import parse_uuid
from engine import taskindex
from engine.context import EngineContext
from engine.models import BufferedMessage, HumanTask, Incident, Job, MessageSubscription, ProcessInstance
from engine.persistence import announce_change, record_event
from engine.progress import load, save
from engine.views import IncidentView


def _instance(uow: UnitOfWork, instance_id: str | uuid.UUID) -> ProcessInstance:
    instance = uow.session.get(ProcessInstance, parse_uuid(instance_id, "process instance"))
    if instance is None:
        raise NotFound(f"process instance {instance_id} not found")
    return instance


def _change_status(uow: UnitOfWork, ctx: EngineContext, instance_id: str, expected: str, new: str, event: str,
                   actor: str | None) -> None:
    instance = _instance(uow, instance_id)
    if instance.status != expected:
        raise Conflict(f"process instance {instance.id} is {instance.status}, not {expected}")
    instance.status = new
    instance.updated_at = ctx.clock.now()
    announce_change(uow.session, instance, instance.updated_at)
    uow.session.execute(update(Job).where(Job.instance_id == instance.id).values(held=new == "suspended"))
    record_event(uow.session, instance.id, event, instance.updated_at, actor=actor)
    uow.flush()


def suspend_instance(uow: UnitOfWork, ctx: EngineContext, instance_id: str, *, actor: str | None = None) -> None:
    """A suspended instance's tasks cannot be completed and its timers and service calls wait."""
    _change_status(uow, ctx, instance_id, "running", "suspended", "suspended", actor)


def resume_instance(uow: UnitOfWork, ctx: EngineContext, instance_id: str, *, actor: str | None = None) -> None:
    _change_status(uow, ctx, instance_id, "suspended", "running", "resumed", actor)


def cancel_instance(uow: UnitOfWork, ctx: EngineContext, instance_id: str, *, actor: str | None = None,
                    reason: str | None = None) -> None:
    """End the instance now: open tasks, timers, service calls and subscriptions are withdrawn."""
    instance = _instance(uow, instance_id)
    if instance.status not in ("running", "suspended"):
        raise Conflict(f"process instance {instance.id} is already {instance.status}")
    now = ctx.clock.now()
    loaded = load(uow, ctx, instance)
    snapshot = ctx.runtime.cancel(loaded.live)
    instance.state = snapshot.state_json
    session = uow.session
    open_tasks = list(session.scalars(select(HumanTask.id).where(HumanTask.instance_id == instance.id,
                                                                 HumanTask.status == "open")))
    session.execute(update(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.status == "open")
                    .values(status="cancelled", completed_at=now, version=HumanTask.version + 1))
    taskindex.drop_closed(session, open_tasks)
    for table in (Job, MessageSubscription, BufferedMessage):
        session.execute(delete(table).where(table.instance_id == instance.id))
    session.execute(update(Incident).where(Incident.instance_id == instance.id, Incident.resolved_at.is_(None))
                    .values(resolved_at=now))
    instance.status, instance.ended_at, instance.updated_at = "cancelled", now, now
    announce_change(session, instance, now)
    record_event(session, instance.id, "cancelled", now, actor=actor, payload={"reason": reason} if reason else {})
    uow.flush()
    ctx.runtime.forget(instance.id)


INSTANCE_ACTIONS = {"suspend": suspend_instance, "resume": resume_instance, "cancel": cancel_instance}


def list_incidents(uow: UnitOfWork, *, open_only: bool = True, instance_id: str | None = None,
                   limit: int = 200) -> list[IncidentView]:
    query = select(Incident).order_by(Incident.created_at.desc(), Incident.id.desc()).limit(min(max(limit, 1), 1000))
    if open_only:
        query = query.where(Incident.resolved_at.is_(None))
    if instance_id is not None:
        query = query.where(Incident.instance_id == parse_uuid(instance_id, "process instance"))
    return [IncidentView.of(row) for row in uow.session.scalars(query)]


def retry_incident(uow: UnitOfWork, ctx: EngineContext, incident_id: int, *, actor: str | None = None) -> None:
    """Resolve the incident and resume its instance: a failed service call is scheduled again now, a failed
    script or condition is run again."""
    incident = uow.session.get(Incident, incident_id)
    if incident is None:
        raise NotFound(f"incident {incident_id} not found")
    if incident.resolved_at is not None:
        raise Conflict(f"incident {incident_id} is already resolved")
    instance = _instance(uow, incident.instance_id)
    if instance.status != "running":
        raise Conflict(f"process instance {instance.id} is {instance.status}; resume it first")
    now = ctx.clock.now()
    incident.resolved_at = now
    record_event(uow.session, instance.id, "incident_resolved", now, actor=actor, element_id=incident.element_id,
                 payload={"incident": incident.id, "action": "retry"})
    job = uow.session.get(Job, incident.job_id) if incident.job_id else None
    if job is not None:
        job.failed_at, job.attempts, job.due_at = None, 0, now
        uow.flush()
        return
    loaded = load(uow, ctx, instance)
    save(uow, ctx, loaded, ctx.runtime.retry_failed_tasks(loaded.live, now), now, actor)
