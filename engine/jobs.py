"""The worker's work: fire due timers and call service-task handlers, each exactly once per transaction.

A job row is claimed with `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, so several workers never take
the same row; the job's effect (instance state, new rows, the job's own deletion) commits in the same
transaction, so a worker killed mid-job leaves the row for the next worker and nothing half-done. SQLite
has no row locks: there a second worker may pick the same row, but the instance's optimistic version makes
its commit fail (`Conflict`), so the timer still fires once.
"""

from __future__ import annotations

import traceback
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select

from core.db import Database, UnitOfWork, as_conflict
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from engine.context import EngineContext
from engine.handlers import BpmnError
from engine.models import Incident, Job, ProcessInstance
from engine.persistence import record_event
from engine.progress import Loaded, load, save
from engine.starts import run_start_job

RETRY_BASE_SECONDS = 10.0


def claim_next_job(uow: UnitOfWork, now: datetime) -> Job | None:
    """The oldest due job that no other worker holds (locked until commit) and whose instance is not
    suspended; one index range scan on `ix_job_runnable`, however many jobs are due."""
    query = (
        select(Job)
        .where(Job.failed_at.is_(None), Job.held.is_(False), Job.due_at <= now)
        .order_by(Job.due_at)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return uow.session.scalars(query).first()


def run_job(uow: UnitOfWork, ctx: EngineContext, job: Job, now: datetime) -> bool:
    """Do the job; False if there was nothing to do (on SQLite another worker may just have done it)."""
    if job.kind == "start":
        run_start_job(uow, ctx, job, now)
        return True
    instance = uow.session.get(ProcessInstance, job.instance_id)
    if instance is None or instance.status != "running":
        return False
    loaded = load(uow, ctx, instance)
    if job.kind == "timer":
        _fire_timer(uow, ctx, loaded, job, now)
    else:
        _call_service(uow, ctx, loaded, job, now)
    return True


def _fire_timer(uow: UnitOfWork, ctx: EngineContext, loaded: Loaded, job: Job, now: datetime) -> None:
    record_event(uow.session, loaded.instance.id, "timer_fired", now, element_id=job.element_id,
                 task_id=job.task_id, payload={"due_at": job.due_at.isoformat()})
    due_before = job.due_at
    snapshot = ctx.runtime.fire_timers(loaded.live, now)
    save(uow, ctx, loaded, snapshot, now, None)
    if job in uow.session and job.due_at == due_before:  # Spiff did not consider it due: look again later
        job.due_at = now + timedelta(seconds=1)


def _call_service(uow: UnitOfWork, ctx: EngineContext, loaded: Loaded, job: Job, now: datetime) -> None:
    handler_name, params = ctx.runtime.service_call(loaded.live, job.task_id)
    try:
        result = ctx.handlers.call(handler_name, uow, params, loaded.instance.id)
    except BpmnError as error:
        snapshot = ctx.runtime.throw_error(loaded.live, job.task_id, error.code, error.message, now)
        if snapshot is None:
            _fail(uow, job, now, f"BPMN error {error.code} not caught: {error.message}", "", final=True)
            return
        record_event(uow.session, loaded.instance.id, "error_thrown", now, element_id=job.element_id,
                     task_id=job.task_id, payload={"code": error.code, "message": error.message})
        save(uow, ctx, loaded, snapshot, now, None)
        return
    except (ValidationFailed, NotFound, Forbidden) as exc:  # retrying cannot help: an incident at once
        _fail(uow, job, now, f"{type(exc).__name__}: {exc}", "", final=True)
        return
    except Exception as exc:
        details = "".join(traceback.format_exception(exc, limit=-5))
        _fail(uow, job, now, f"{type(exc).__name__}: {exc}", details, final=False)
        return
    if result is not None and not isinstance(result, dict):
        _fail(uow, job, now, f"handler {handler_name} returned {type(result).__name__}, not a dict", "", final=True)
        return
    record_event(uow.session, loaded.instance.id, "service_completed", now, element_id=job.element_id,
                 task_id=job.task_id, payload={"handler": handler_name, "attempt": job.attempts + 1})
    snapshot = ctx.runtime.complete_service_task(loaded.live, job.task_id, result, now)
    save(uow, ctx, loaded, snapshot, now, None)


def _fail(uow: UnitOfWork, job: Job, now: datetime, message: str, details: str, *, final: bool) -> None:
    """Count a failed attempt: retry with exponential backoff, or open an incident after the last one."""
    job.attempts += 1
    job.last_error = message[:2000]
    if job.instance_id is None:  # a start timer that could not start an instance: kept, marked failed
        job.failed_at = now
        return
    if final or job.attempts >= job.max_attempts:
        job.failed_at = now
        uow.session.add(Incident(instance_id=job.instance_id, element_id=job.element_id, task_id=job.task_id,
                                 job_id=job.id, message=message[:2000], details=details[-4000:], created_at=now))
        record_event(uow.session, job.instance_id, "incident_opened", now, element_id=job.element_id,
                     task_id=job.task_id, payload={"message": message[:2000], "attempts": job.attempts})
    else:
        job.due_at = now + timedelta(seconds=RETRY_BASE_SECONDS * 2 ** (job.attempts - 1))
        record_event(uow.session, job.instance_id, "service_failed", now, element_id=job.element_id,
                     task_id=job.task_id, payload={"message": message[:2000], "attempt": job.attempts,
                                                   "retry_at": job.due_at.isoformat()})


def run_due_jobs(db: Database, ctx: EngineContext, *, limit: int = 100) -> int:
    """Run up to `limit` due jobs, one transaction each; returns how many were done."""
    done = 0
    skipped: set[uuid.UUID] = set()
    while done < limit:
        failure: Exception | None = None
        with db.unit_of_work() as uow:
            now = ctx.clock.now()
            job = claim_next_job(uow, now)
            if job is None or job.id in skipped:
                return done
            job_id, instance_id = job.id, job.instance_id
            try:
                worked = run_job(uow, ctx, job, now)
                uow.commit()
            except Exception as exc:
                if instance_id is not None:
                    ctx.runtime.forget(instance_id)
                if isinstance(exc, Conflict) or as_conflict(exc) is not None:
                    skipped.add(job_id)  # another worker changed the instance first; the job is its now
                    continue
                failure = exc
        if failure is not None:
            _record_crash(db, job_id, failure, ctx.clock.now())
        elif not worked:
            skipped.add(job_id)
            continue
        done += 1
    return done


def _record_crash(db: Database, job_id: uuid.UUID, exc: Exception, now: datetime) -> None:
    """A job that broke the engine itself becomes an incident instead of being retried forever."""
    with db.unit_of_work() as uow:
        job = uow.session.get(Job, job_id)
        if job is not None:
            details = "".join(traceback.format_exception(exc, limit=-5))
            _fail(uow, job, now, f"{type(exc).__name__}: {exc}", details, final=True)
            uow.commit()
