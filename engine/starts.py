"""Timer start events: a deployed version's start timers are `start` jobs; each firing starts an instance.

Deploying a new version of a process replaces the start jobs of its older versions. A cycle (`R3/P7D`)
keeps its job and moves it to the next occurrence; a date or duration fires once.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select

from core.db import UnitOfWork
from engine.context import EngineContext
from engine.instances import start_instance
from engine.models import Job, ProcessDefinition
from engine.persistence import record_event
from engine.workflow.schedule import next_start, start_schedule


def schedule_start_timers(uow: UnitOfWork, ctx: EngineContext, definition: ProcessDefinition) -> None:
    """Replace the start jobs of older versions of `definition.key` by this version's."""
    older = select(ProcessDefinition.id).where(ProcessDefinition.key == definition.key,
                                               ProcessDefinition.id != definition.id)
    uow.session.execute(delete(Job).where(Job.kind == "start", Job.definition_id.in_(older)))
    now = ctx.clock.now()
    for element_id, expression in definition.timer_starts or []:
        schedule = start_schedule(ctx.runtime.evaluate(expression, {}), now)
        job_id = uuid.uuid4()
        uow.session.add(Job(
            id=job_id, kind="start", instance_id=None, definition_id=definition.id, task_id=job_id,
            element_id=element_id, handler=None, due_at=schedule.due, attempts=0, max_attempts=1,
            schedule={"cycles_left": schedule.cycles_left, "period_seconds": schedule.period_seconds},
            created_at=now,
        ))


def run_start_job(uow: UnitOfWork, ctx: EngineContext, job: Job, now: datetime) -> None:
    """Start an instance for a due start timer and move the job to its next occurrence (or remove it)."""
    definition = uow.session.get(ProcessDefinition, job.definition_id)
    if definition is None:
        uow.session.delete(job)
        return
    view = start_instance(uow, ctx, definition.key, {}, version=definition.version, started_by=None,
                          fired_start_event=job.element_id)
    record_event(uow.session, uuid.UUID(view.id), "timer_fired", now, element_id=job.element_id,
                 payload={"due_at": job.due_at.isoformat(), "start": True})
    schedule = job.schedule or {}
    following = next_start(job.due_at, int(schedule.get("cycles_left", 0)), float(schedule.get("period_seconds", 0)))
    if following is None:
        uow.session.delete(job)
        return
    job.due_at = following.due
    job.schedule = {"cycles_left": following.cycles_left, "period_seconds": following.period_seconds}
