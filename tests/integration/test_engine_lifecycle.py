"""Deploy, start, complete and persist procedures through the engine services (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.bootstrap import Services
from core.clock import FrozenClock
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from engine.instances import get_instance
from engine.models import HumanTask, ProcessInstance
from engine.tasks import list_tasks
from tests.helpers import complete, deploy_models, start

TWO_STEP = ("two_step.bpmn", "capture-schema.json", "review-schema.json")


def test_two_step_process_runs_to_its_end(services: Services, clock: FrozenClock) -> None:
    result = deploy_models(services, *TWO_STEP)
    assert [(p.key, p.version, p.new_version) for p in result.processes] == [("two_step", 1, True)]

    view = start(services, "two_step", {"case_id": "C-1"}, business_key="32.10.05-2026/00017")
    assert view.status == "running"
    [capture] = view.open_tasks
    assert capture.name == "Antrag erfassen"
    assert capture.candidate_groups == ["intake"]
    assert capture.priority == 70
    assert capture.due == (clock.now() + timedelta(days=14)).isoformat()
    assert capture.form_schema is not None and capture.form_schema["required"] == ["applicant", "amount"]

    clock.advance(timedelta(hours=1))
    view = complete(services, capture.id, {"applicant": "Erika Mustermann", "amount": 25.3}, user="anna")
    [review] = view.open_tasks
    assert review.name == "Antrag prüfen" and review.candidate_groups == ["review"]

    view = complete(services, review.id, {"approved": True}, user="ben")
    assert view.status == "completed"
    assert view.open_tasks == []
    assert view.data["decision"] == "approved"
    assert view.data["case_id"] == "C-1" and view.data["applicant"] == "Erika Mustermann"
    with services.db.unit_of_work() as uow:
        history = get_instance(uow, view.id, with_history=True).history
        statuses = {row.element_id: row.status for row in uow.session.scalars(select(HumanTask))}
    assert [e.kind for e in history] == [
        "started", "task_created", "task_completed", "task_created", "task_completed", "ended"
    ]
    assert [e.actor for e in history if e.kind == "task_completed"] == ["anna", "ben"]
    assert statuses == {"capture": "completed", "review": "completed"}


def test_invalid_form_data_names_the_field_and_saves_nothing(services: Services) -> None:
    deploy_models(services, *TWO_STEP)
    view = start(services, "two_step")
    task_id = view.open_tasks[0].id
    with services.db.unit_of_work() as uow:
        before = uow.session.get(ProcessInstance, uuid.UUID(view.id))
        assert before is not None
        version_before = before.version
    with pytest.raises(ValidationFailed) as caught:
        complete(services, task_id, {"applicant": "X", "amount": -5})
    assert set(caught.value.details) == {"applicant", "amount"}
    with pytest.raises(ValidationFailed) as missing:
        complete(services, task_id, {"applicant": "Erika"})
    assert "amount" in missing.value.details
    with services.db.unit_of_work() as uow:
        row = uow.session.get(HumanTask, uuid.UUID(task_id))
        instance = uow.session.get(ProcessInstance, uuid.UUID(view.id))
        assert row is not None and row.status == "open"
        assert instance is not None and instance.version == version_before


def test_completing_twice_or_unknown_task_is_refused(services: Services) -> None:
    deploy_models(services, *TWO_STEP)
    view = start(services, "two_step")
    task_id = view.open_tasks[0].id
    complete(services, task_id, {"applicant": "Erika", "amount": 1})
    with pytest.raises(Conflict):
        complete(services, task_id, {"applicant": "Erika", "amount": 1})
    with pytest.raises(NotFound):
        complete(services, "00000000-0000-0000-0000-000000000000", {})
    with pytest.raises(NotFound):
        complete(services, "not-a-uuid", {})


def test_redeploying_identical_content_keeps_the_version(services: Services) -> None:
    first = deploy_models(services, *TWO_STEP)
    again = deploy_models(services, *TWO_STEP)
    assert again.deployment_id is None
    assert [(p.version, p.new_version) for p in again.processes] == [(1, False)]
    assert first.processes[0].sha256 == again.processes[0].sha256


def test_running_instances_keep_their_version(services: Services) -> None:
    from engine.deploy import deploy
    from tests.helpers import model_files

    deploy_models(services, *TWO_STEP)
    old = start(services, "two_step")
    files = model_files(*TWO_STEP)
    changed = [f if f.name != "two_step.bpmn" else type(f)(f.name, f.content.replace(b"P14D", b"P7D"))
               for f in files]
    with services.db.unit_of_work() as uow:
        result = deploy(uow, services.engine, changed)
        uow.commit()
    assert [(p.version, p.new_version) for p in result.processes] == [(2, True)]
    new = start(services, "two_step")
    assert (old.process_version, new.process_version) == (1, 2)
    done = complete(services, old.open_tasks[0].id, {"applicant": "Alt", "amount": 3})
    assert done.process_version == 1


def test_gateways_route_by_data(services: Services) -> None:
    deploy_models(services, "gateways.bpmn")
    small = start(services, "gateways", {"amount": 10})
    assert small.status == "completed" and small.data["route"] == "small"

    big = start(services, "gateways", {"amount": 5000, "notify_a": True, "notify_b": False})
    assert sorted(t.name for t in big.open_tasks) == ["Prüfung A", "Prüfung B"]
    first, second = big.open_tasks
    after_first = complete(services, first.id, {})
    assert [t.id for t in after_first.open_tasks] == [second.id]
    done = complete(services, second.id, {})
    assert done.status == "completed"
    assert done.data["route"] == "big" and done.data.get("notified_a") is True
    assert "notified_b" not in done.data


def test_business_rule_tasks_use_every_decision_of_a_dmn_file(services: Services) -> None:
    deploy_models(services, "fees.dmn", "fee_rule.bpmn")
    view = start(services, "fee_rule", {"licence_class": "C", "birth_year": 1960})
    assert view.status == "completed"
    assert view.data["fee"] == 42.6
    assert view.data["deadline"] == "2023-01-19"
    other = start(services, "fee_rule", {"licence_class": "B", "birth_year": 1990})
    assert (other.data["fee"], other.data["deadline"]) == (25.3, "2033-01-19")


def test_decisions_deployed_earlier_are_found_later(services: Services) -> None:
    deploy_models(services, "fees.dmn")
    deploy_models(services, "fee_rule.bpmn")
    assert start(services, "fee_rule", {"licence_class": "C", "birth_year": 1955}).data["deadline"] == "2022-01-19"


def test_embedded_subprocess_and_call_activity(services: Services) -> None:
    deploy_models(services, "child.bpmn")
    deploy_models(services, "parent.bpmn")
    view = start(services, "parent", {"case_id": "C-7"})
    assert [t.name for t in view.open_tasks] == ["Vorprüfen"]
    view = complete(services, view.open_tasks[0].id, {"precheck_ok": True})
    assert [t.name for t in view.open_tasks] == ["Stellungnahme abgeben"]
    view = complete(services, view.open_tasks[0].id, {"statement": "keine Bedenken"})
    assert view.status == "completed"
    assert view.data["statement"] == "keine Bedenken" and view.data["precheck_ok"] is True


def test_endless_script_becomes_an_incident_not_a_hang(services: Services) -> None:
    deploy_models(services, "endless.bpmn")
    started = datetime.now(UTC)
    view = start(services, "endless")
    assert (datetime.now(UTC) - started).total_seconds() < 10
    assert view.status == "running"
    [incident] = view.incidents
    assert incident.element_id == "loop"
    assert "time limit" in incident.message


def test_unknown_process_and_bad_start_data(services: Services) -> None:
    with pytest.raises(NotFound):
        start(services, "nope")
    deploy_models(services, *TWO_STEP)
    with pytest.raises(ValidationFailed):
        start(services, "two_step", {"typename": "x"})


def test_task_listing_reads_only_the_task_table(services: Services) -> None:
    deploy_models(services, *TWO_STEP)
    ids = {start(services, "two_step").id for _ in range(3)}
    with services.db.unit_of_work() as uow:
        tasks = list_tasks(uow)
        assert {t.instance_id for t in tasks} == ids
        assert all(t.process_key == "two_step" for t in tasks)
        count = uow.session.scalar(select(func.count()).select_from(HumanTask))
    assert count == 3


def test_assigned_task_can_only_be_completed_by_its_assignee(services: Services) -> None:
    deploy_models(services, "camunda_review.bpmn", "review-schema.json")
    view = start(services, "camunda_review", {"clerk": "carla"})
    [task] = view.open_tasks
    assert task.assignee == "carla"
    assert task.candidate_groups == ["accounts-payable", "controlling"]
    assert task.priority == 80 and task.due is not None and task.due.startswith("2026-02-01")
    with pytest.raises(Forbidden):
        complete(services, task.id, {"approved": True}, user="dieter")
    assert complete(services, task.id, {"approved": True}, user="carla").status == "completed"
