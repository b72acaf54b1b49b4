"""Timers, service tasks, messages, incidents and lifecycle through the engine services and the job runner."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from core.bootstrap import Services
from core.clock import FrozenClock
from core.errors import Conflict, NotFound
from engine.handlers import BpmnError, HandlerRegistry
from engine.instances import get_instance
from engine.jobs import run_due_jobs
from engine.lifecycle import cancel_instance, list_incidents, resume_instance, retry_incident, suspend_instance
from engine.messages import send_message
from engine.models import BufferedMessage, Job, MessageSubscription
from engine.views import InstanceView
from tests.helpers import complete, deploy_models, start


class Calls:
    def __init__(self) -> None:
        self.orders: list[dict[str, Any]] = []
        self.reminders = 0
        self.order_failures = 0
        self.reject = False

    def order(self, params: dict[str, Any]) -> dict[str, Any]:
        if self.order_failures:
            self.order_failures -= 1
            raise RuntimeError("card manufacturer unreachable")
        if self.reject:
            raise BpmnError("ORDER_REJECTED", "photo not usable")
        self.orders.append(params)
        return {"order_id": f"ORD-{len(self.orders)}"}

    def remind(self, params: dict[str, Any]) -> None:
        self.reminders += 1


@pytest.fixture
def calls(handlers: HandlerRegistry) -> Calls:
    recorder = Calls()
    handlers.register("test.order_card", recorder.order)
    handlers.register("test.send_reminder", recorder.remind)
    return recorder


def run_jobs(services: Services) -> int:
    return run_due_jobs(services.db, services.engine)


def show(services: Services, instance_id: str) -> InstanceView:
    with services.db.unit_of_work() as uow:
        return get_instance(uow, instance_id, with_history=True)


def send(services: Services, name: str, deliver_to_all: bool = False, data: dict[str, Any] | None = None,
         **correlate: str) -> list[str]:
    with services.db.unit_of_work() as uow:
        result = send_message(uow, services.engine, name, correlate, data, deliver_to_all=deliver_to_all)
        uow.commit()
    return result.instance_ids


def jobs_of(services: Services, instance_id: str) -> list[tuple[str, str]]:
    with services.db.unit_of_work() as uow:
        rows = uow.session.scalars(select(Job).where(Job.instance_id == uuid.UUID(instance_id)))
        return sorted((job.kind, job.element_id) for job in rows)


def waiting_for_licence(services: Services, clock: FrozenClock, licence: str = "B-123") -> str:
    view = start(services, "waiting", {"licence_number": licence})
    clock.advance(timedelta(hours=1, seconds=1))
    run_jobs(services)
    return view.id


def test_timer_fires_when_due_and_only_then(services: Services, clock: FrozenClock, calls: Calls) -> None:
    deploy_models(services, "waiting.bpmn")
    view = start(services, "waiting", {"licence_number": "B-123"})
    assert jobs_of(services, view.id) == [("timer", "settle")]
    clock.advance(timedelta(minutes=59))
    assert run_jobs(services) == 0
    clock.advance(timedelta(minutes=2))
    assert run_jobs(services) == 2  # the timer, then the service call it leads to
    assert calls.orders == [{"licence": "B-123"}]
    after = show(services, view.id)
    assert after.data["order"] == {"order_id": "ORD-1"}
    assert [e.kind for e in after.history].count("timer_fired") == 1
    assert jobs_of(services, view.id) == [("timer", "escalate"), ("timer", "remind")]


def test_cycle_reminds_three_times_then_message_ends_the_wait(
    services: Services, clock: FrozenClock, calls: Calls
) -> None:
    deploy_models(services, "waiting.bpmn")
    instance_id = waiting_for_licence(services, clock)
    for _week in range(4):
        clock.advance(timedelta(days=7))
        run_jobs(services)
    assert calls.reminders == 3
    assert send(services, "licence_received", licence_number="B-123", data={"received_on": "2026-02-01"}) == [
        instance_id
    ]
    view = show(services, instance_id)
    assert view.status == "completed"
    assert view.data["received_on"] == "2026-02-01"
    assert jobs_of(services, instance_id) == []


def test_interrupting_timer_escalates_after_six_weeks(services: Services, clock: FrozenClock, calls: Calls) -> None:
    deploy_models(services, "waiting.bpmn")
    instance_id = waiting_for_licence(services, clock)
    clock.advance(timedelta(days=43))
    run_jobs(services)
    view = show(services, instance_id)
    assert [t.name for t in view.open_tasks] == ["Nachfassen"]
    with services.db.unit_of_work() as uow:
        assert list(uow.session.scalars(select(MessageSubscription))) == []
    assert send(services, "licence_received", licence_number="B-123") == [instance_id]  # buffered, not lost
    with services.db.unit_of_work() as uow:
        assert len(list(uow.session.scalars(select(BufferedMessage)))) == 1


def test_message_outcomes_not_found_ambiguous_all(services: Services, clock: FrozenClock, calls: Calls) -> None:
    deploy_models(services, "waiting.bpmn")
    first = waiting_for_licence(services, clock, "B-1")
    second = waiting_for_licence(services, clock, "B-1")
    with pytest.raises(NotFound):
        send(services, "licence_received", licence_number="X-9")
    with pytest.raises(Conflict, match="ambiguous: 2 instances"):
        send(services, "licence_received", licence_number="B-1")
    assert show(services, first).status == "running"
    assert sorted(send(services, "licence_received", deliver_to_all=True, licence_number="B-1")) == sorted(
        [first, second]
    )
    assert show(services, second).status == "completed"


def test_early_message_is_buffered_and_delivered_on_arrival(
    services: Services, clock: FrozenClock, calls: Calls
) -> None:
    deploy_models(services, "waiting.bpmn")
    view = start(services, "waiting", {"licence_number": "B-7"})
    assert send(services, "licence_received", licence_number="B-7", data={"early": True}) == [view.id]
    with services.db.unit_of_work() as uow:
        assert len(list(uow.session.scalars(select(BufferedMessage)))) == 1
    clock.advance(timedelta(hours=2))
    run_jobs(services)
    after = show(services, view.id)
    assert after.status == "completed" and after.data["early"] is True
    kinds = [e.kind for e in after.history]
    assert "message_buffered" in kinds and "message_received" in kinds


def test_failing_handler_retries_with_backoff_then_incident_then_retry(
    services: Services, clock: FrozenClock, calls: Calls
) -> None:
    deploy_models(services, "waiting.bpmn")
    calls.order_failures = 3
    view = start(services, "waiting", {"licence_number": "B-5"})
    clock.advance(timedelta(hours=1, seconds=1))
    run_jobs(services)  # timer fires, first attempt fails
    assert list_open_incidents(services) == []
    clock.advance(timedelta(seconds=9))
    assert run_jobs(services) == 0  # backoff: 10 s
    clock.advance(timedelta(seconds=2))
    run_jobs(services)  # second attempt fails, next in 20 s
    clock.advance(timedelta(seconds=21))
    run_jobs(services)  # third attempt fails: incident
    [incident] = list_open_incidents(services)
    assert incident.element_id == "order" and "card manufacturer unreachable" in incident.message
    clock.advance(timedelta(days=1))
    assert run_jobs(services) == 0  # waits for a person
    calls.order_failures = 0
    with services.db.unit_of_work() as uow:
        retry_incident(uow, services.engine, incident.id, actor="sup")
        uow.commit()
    run_jobs(services)
    assert list_open_incidents(services) == []
    assert show(services, view.id).data["order"] == {"order_id": "ORD-1"}


def list_open_incidents(services: Services) -> list[Any]:
    with services.db.unit_of_work() as uow:
        return list_incidents(uow)


def test_bpmn_error_from_handler_takes_the_error_boundary(
    services: Services, clock: FrozenClock, calls: Calls
) -> None:
    deploy_models(services, "waiting.bpmn")
    calls.reject = True
    view = start(services, "waiting", {"licence_number": "B-8"})
    clock.advance(timedelta(hours=2))
    run_jobs(services)
    after = show(services, view.id)
    assert [t.name for t in after.open_tasks] == ["Bestellung korrigieren"]
    assert after.data["error_code"] == "ORDER_REJECTED"
    assert list_open_incidents(services) == []


def test_suspended_instance_neither_fires_nor_completes(
    services: Services, clock: FrozenClock, calls: Calls
) -> None:
    deploy_models(services, "waiting.bpmn")
    instance_id = waiting_for_licence(services, clock)
    clock.advance(timedelta(days=43))
    run_jobs(services)
    [chase] = show(services, instance_id).open_tasks
    with services.db.unit_of_work() as uow:
        suspend_instance(uow, services.engine, instance_id, actor="sup")
        uow.commit()
    with pytest.raises(Conflict, match="suspended"):
        complete(services, chase.id, {})
    with services.db.unit_of_work() as uow:
        resume_instance(uow, services.engine, instance_id)
        uow.commit()
    assert complete(services, chase.id, {}).status == "completed"


def test_suspended_timer_waits_and_cancel_withdraws_everything(
    services: Services, clock: FrozenClock, calls: Calls
) -> None:
    deploy_models(services, "waiting.bpmn")
    view = start(services, "waiting", {"licence_number": "B-9"})
    with services.db.unit_of_work() as uow:
        suspend_instance(uow, services.engine, view.id)
        uow.commit()
    clock.advance(timedelta(hours=2))
    assert run_jobs(services) == 0
    with services.db.unit_of_work() as uow:
        cancel_instance(uow, services.engine, view.id, reason="withdrawn")
        uow.commit()
    after = show(services, view.id)
    assert after.status == "cancelled" and after.history[-1].kind == "cancelled"
    assert jobs_of(services, view.id) == []
    with pytest.raises(Conflict), services.db.unit_of_work() as uow:
        resume_instance(uow, services.engine, view.id)


def test_message_start_event_starts_an_instance_with_the_payload(services: Services) -> None:
    result = deploy_models(services, "message_start.bpmn")
    assert result.processes[0].key == "message_start"
    [instance_id] = send(services, "application_received", data={"applicant": "Erika"}, portal_id="P-17")
    view = show(services, instance_id)
    assert view.status == "running"
    assert [t.name for t in view.open_tasks] == ["Antrag prüfen"]
    assert view.data["applicant"] == "Erika" and view.data["portal_id"] == "P-17"
    assert [e.kind for e in view.history][:2] == ["started", "message_received"]


def test_timer_start_event_starts_an_instance_per_cycle(services: Services, clock: FrozenClock) -> None:
    from engine.models import ProcessInstance

    def started() -> int:
        with services.db.unit_of_work() as uow:
            return len(list(uow.session.scalars(select(ProcessInstance))))

    deploy_models(services, "timer_start.bpmn")  # clock: 2026-01-05 09:00 UTC
    assert run_jobs(services) == 0 and started() == 0
    clock.set(datetime(2026, 1, 6, 8, 0, 1, tzinfo=UTC))
    assert run_jobs(services) == 1
    with services.db.unit_of_work() as uow:
        [instance] = uow.session.scalars(select(ProcessInstance))
        view = get_instance(uow, instance.id, with_history=True)
    assert [t.name for t in view.open_tasks] == ["Kasse prüfen"]
    assert [e.kind for e in view.history].count("timer_fired") == 1
    for _day in range(3):
        clock.advance(timedelta(days=1))
        run_jobs(services)
    assert started() == 3  # R3: three starts, then the schedule is used up
    with services.db.unit_of_work() as uow:
        assert list(uow.session.scalars(select(Job))) == []


def test_message_boundary_event_interrupts_the_task(services: Services) -> None:
    deploy_models(services, "withdrawable.bpmn")
    view = start(services, "withdrawable", {"application_id": "A-77"}, business_key="32.10-2026/00077")
    [review] = view.open_tasks
    assert send(services, "application_withdrawn", business_key="32.10-2026/00077",
                data={"reason": "moved away"}) == [view.id]
    after = show(services, view.id)
    assert after.status == "completed" and after.open_tasks == []
    assert after.data["reason"] == "moved away"
    with pytest.raises(Conflict):
        complete(services, review.id, {})


def test_retrying_a_script_incident_runs_the_script_again(services: Services) -> None:
    deploy_models(services, "endless.bpmn")
    view = start(services, "endless")
    [incident] = list_open_incidents(services)
    assert incident.element_id == "loop" and incident.instance_id == view.id
    with services.db.unit_of_work() as uow:
        retry_incident(uow, services.engine, incident.id, actor="sup")
        uow.commit()
    [again] = list_open_incidents(services)  # the script ran again and hit the time limit again
    assert again.id != incident.id and "time limit" in again.message
    kinds = [e.kind for e in show(services, view.id).history]
    assert kinds.count("incident_opened") == 2 and "incident_resolved" in kinds


def test_camunda_external_task_runs_its_topic_handler_in_the_worker(
    services: Services, handlers: HandlerRegistry, clock: FrozenClock
) -> None:
    received: list[dict[str, Any]] = []
    handlers.register("test.collect_fee", lambda params: received.append(params) or {"paid": True})
    deploy_models(services, "camunda_payment.bpmn")
    view = start(services, "camunda_payment", {"fee": 25.3})
    assert view.status == "running" and received == []  # handlers never run inside the request
    clock.advance(timedelta(seconds=1))
    assert run_jobs(services) == 1
    assert received == [{"amount": 25.3, "purpose": "Führerschein"}]
    after = show(services, view.id)
    assert after.status == "completed" and after.data["paid"] is True
