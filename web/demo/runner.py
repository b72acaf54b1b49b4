"""Simulate the demo cases over past weeks: each case starts on its day and its steps happen when they are due,
with the worker's due jobs (service tasks, timers: reminders, escalations) run in between, all on a clock that
is set back in time. What a case has not reached yet stays for the real worker and the people who sign in."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from core.bootstrap import Services
from core.clock import FrozenClock
from core.errors import AkteError
from engine.actors import TaskActor
from engine.jobs import run_due_jobs
from engine.messages import send_message
from engine.models import HumanTask
from engine.taskops import claim
from engine.tasks import complete_task
from records.access import Principal
from records.documents import add_document
from records.files import LOCAL_TIMEZONE
from records.models import RecordCase
from web.casestart import start_case
from web.demo.people import DEMO_USERS, demo_user
from web.demo.samples import Doc

DEMO_LOGINS = frozenset(user.login for user in DEMO_USERS)


@dataclass(frozen=True)
class Day:
    """A date in step data, relative to the simulated day the step happens on (ISO text in the data)."""

    offset: int = 0


class DemoScenarioError(AkteError):
    """A demo case cannot be played as written (e.g. its next task is not open): a bug in the scenario."""


@dataclass(frozen=True)
class Step:
    """Something a person does in a case, `after` its start: complete a task (`element`), or send a message."""

    after: timedelta
    login: str
    element: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    message: str | None = None
    correlate: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DemoCase:
    process_key: str
    title: str
    applicant: dict[str, Any]
    plan_code: str
    unit: str
    started_days_ago: float
    clerk: str  # who opens the case: a demo login, or a system actor such as "intake"
    data: dict[str, Any] = field(default_factory=dict)
    steps: tuple[Step, ...] = ()
    documents: tuple[Doc, ...] = ()  # filed in the case when it opens (e.g. the scanned application)


def _actor(login: str) -> TaskActor:
    user = demo_user(login)
    return TaskActor(name=login, groups=frozenset(user.groups))


def _principal(login: str) -> Principal:
    """A demo user as principal; other names act as the system (e.g. "intake" files e-invoices)."""
    if login not in DEMO_LOGINS:
        return Principal.system(login)
    return Principal(login, frozenset(demo_user(login).units))


def run_jobs(services: Services) -> int:
    total = 0
    while done := run_due_jobs(services.db, services.engine):
        total += done
    return total


def exists(services: Services, case: DemoCase) -> bool:
    with services.db.unit_of_work() as uow:
        return uow.session.scalar(select(RecordCase.id).where(RecordCase.title == case.title).limit(1)) is not None


def _with_documents(services: Services, login: str, case_id: uuid.UUID | None, value: Any) -> Any:
    """`value` with every `Doc` replaced by the id of a new document of the case (as a form upload does) and
    every `Day` by its date."""
    if isinstance(value, Day):
        today = services.clock.now().astimezone(LOCAL_TIMEZONE).date()
        return (today + timedelta(days=value.offset)).isoformat()
    if isinstance(value, Doc):
        if case_id is None:
            raise DemoScenarioError(f"document {value.filename}: documents belong in steps or the case's documents")
        with services.db.unit_of_work() as uow:
            view = add_document(uow, services.records, _principal(login), value.upload(), case_id=case_id,
                                title=value.title)
            uow.commit()
        return str(view.id)
    if isinstance(value, dict):
        return {key: _with_documents(services, login, case_id, item) for key, item in value.items()}
    if isinstance(value, list):
        return [_with_documents(services, login, case_id, item) for item in value]
    return value


def _complete(services: Services, instance_id: uuid.UUID, case_id: uuid.UUID, step: Step) -> None:
    data = _with_documents(services, step.login, case_id, step.data)
    with services.db.unit_of_work() as uow:
        task_id = uow.session.scalar(select(HumanTask.id).where(
            HumanTask.instance_id == instance_id, HumanTask.element_id == step.element, HumanTask.status == "open"))
        if task_id is None:
            raise DemoScenarioError(f"demo case {instance_id}: no open task {step.element}")
        actor = _actor(step.login)
        claim(uow, services.engine, actor, task_id)
        complete_task(uow, services.engine, task_id, data, actor=actor)
        uow.commit()


def _send(services: Services, step: Step) -> None:
    with services.db.unit_of_work() as uow:
        send_message(uow, services.engine, str(step.message), step.correlate, actor=step.login)
        uow.commit()


def play(services: Services, clock: FrozenClock, now: datetime, case: DemoCase) -> None:
    """Open `case` at its start day and play its steps, running due jobs whenever time moves."""
    started = now - timedelta(days=case.started_days_ago)
    clock.set(started)
    run_jobs(services)
    with services.db.unit_of_work() as uow:
        opened = start_case(uow, services, _principal(case.clerk), title=case.title, applicant=case.applicant,
                            process_key=case.process_key, data=_with_documents(services, case.clerk, None, case.data),
                            file={"plan_code": case.plan_code, "title": case.title, "owning_unit": case.unit})
        for doc in case.documents:
            add_document(uow, services.records, _principal(case.clerk), doc.upload(), case_id=opened.case.id,
                         title=doc.title)
        uow.commit()
    assert opened.instance is not None
    instance_id, case_id = uuid.UUID(opened.instance.id), opened.case.id
    run_jobs(services)
    for step in case.steps:
        clock.set(min(started + step.after, now))
        run_jobs(services)
        if step.message:
            _send(services, step)
        else:
            _complete(services, instance_id, case_id, step)
        run_jobs(services)
