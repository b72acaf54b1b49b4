"""Cases driven by process instances: status from the process, akte.* handlers inside the worker's transaction."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from core.bootstrap import Services
from core.db import UnitOfWork
from core.errors import Conflict, ValidationFailed
from engine.instances import get_instance
from engine.jobs import run_due_jobs
from engine.models import Job
from records import cases, documents, notes
from records.cases import close_case, create_case
from records.models import AuditEntry
from tests.helpers import complete, deploy_models
from tests.records_helpers import ADMIN, load_plan, new_case, new_file
from web.casestart import start_case


def _start(services: Services, data: dict[str, object]) -> tuple[uuid.UUID, str]:
    load_plan(services)
    deploy_models(services, "case_letter.bpmn")
    with services.db.unit_of_work() as uow:
        started = start_case(uow, services, ADMIN, title="Antrag", applicant={"name": "Erika"},
                             file={"plan_code": "32.10.05", "title": "Erika Mustermann", "owning_unit": "unit-a"},
                             process_key="case_letter", data=data)
        uow.commit()
    assert started.instance is not None
    assert started.instance.data["case_id"] == str(started.case.id)
    assert started.instance.business_key == started.case.reference_number
    return started.case.id, started.instance.open_tasks[0].id


def _status(services: Services, case_id: uuid.UUID) -> str:
    with services.db.unit_of_work() as uow:
        return cases.get_case(uow, services.records, ADMIN, case_id).status


def _work(services: Services) -> None:
    for _ in range(10):
        if not run_due_jobs(services.db, services.engine):
            return


def test_a_case_follows_its_process_and_the_handlers_file_the_letter(services: Services) -> None:
    case_id, task_id = _start(services, {"applicant_name": "Erika Mustermann"})
    assert _status(services, case_id) == "in_progress"
    complete(services, task_id, {"close_target": str(case_id)})
    _work(services)
    assert _status(services, case_id) == "closed"
    with services.db.unit_of_work() as uow:
        [letter] = documents.list_documents(uow, ADMIN, case_id=case_id)
        case = cases.get_case(uow, services.records, ADMIN, case_id)
        instance = get_instance(uow, str(case.process_instance_id))
    assert letter.title == "Bescheid" and letter.versions[0].media_type == "text/plain"
    assert case.outcome == "approved" and instance.status == "completed"
    assert instance.data["letter"] == {"document_id": str(letter.id)}


def test_a_failing_handler_opens_an_incident_and_changes_nothing(services: Services) -> None:
    case_id, task_id = _start(services, {"applicant_name": "Erika"})
    complete(services, task_id, {"close_target": str(uuid.uuid4())})  # a case that does not exist
    _work(services)
    with services.db.unit_of_work() as uow:
        case = cases.get_case(uow, services.records, ADMIN, case_id)
        instance = get_instance(uow, str(case.process_instance_id))
        letters = documents.list_documents(uow, ADMIN, case_id=case_id)
    assert case.status == "in_progress" and case.closed_at is None
    assert [i.element_id for i in instance.incidents] == ["close"]
    assert "does not exist" in instance.incidents[0].message
    assert len(letters) == 1  # the letter task before it committed; the close task's savepoint rolled back


def test_a_model_cannot_reach_a_case_its_process_does_not_drive(services: Services) -> None:
    case_id, task_id = _start(services, {"applicant_name": "Erika"})
    other = new_case(services, new_file(services))  # an existing case of someone else
    complete(services, task_id, {"close_target": str(other.id)})
    _work(services)
    with services.db.unit_of_work() as uow:
        assert cases.get_case(uow, services.records, ADMIN, other.id).status == "open"
        instance = get_instance(uow, str(cases.get_case(uow, services.records, ADMIN, case_id).process_instance_id))
    assert "is not driven by process instance" in instance.incidents[0].message


def test_case_status_without_process_and_closing_rules(services: Services) -> None:
    load_plan(services)
    case = new_case(services, new_file(services))
    assert case.status == "open" and case.applicant["name"] == "Erika Mustermann"
    with services.db.unit_of_work() as uow:
        closed = close_case(uow, services.records, ADMIN, case.id, "withdrawn")
        uow.commit()
    assert closed.status == "closed" and closed.outcome == "withdrawn"
    with services.db.unit_of_work() as uow, pytest.raises(Conflict, match="already closed"):
        close_case(uow, services.records, ADMIN, case.id)


def test_case_input_is_checked(services: Services) -> None:
    load_plan(services)
    file = new_file(services)
    with services.db.unit_of_work() as uow:
        with pytest.raises(ValidationFailed) as caught:
            create_case(uow, services.records, ADMIN, file.id, title="x", applicant=["not", "an", "object"])
        assert caught.value.details == {"applicant": "must be an object"}
        with pytest.raises(ValidationFailed):
            create_case(uow, services.records, ADMIN, file.id, title="")


def test_a_transactional_handler_that_fails_half_way_leaves_no_trace(services: Services) -> None:
    def note_then_fail(uow: UnitOfWork, params: dict[str, object], _instance: uuid.UUID) -> dict[str, object]:
        notes.add_note(uow, services.records, ADMIN, "halb geschrieben", case_id=str(params["case_id"]))
        raise RuntimeError("the printer caught fire")

    services.engine.handlers.register_transactional("akte.close_case", note_then_fail)
    case_id, task_id = _start(services, {"applicant_name": "Erika"})
    complete(services, task_id, {"close_target": str(case_id)})
    _work(services)
    with services.db.unit_of_work() as uow:
        assert notes.list_notes(uow, ADMIN, case_id=case_id) == []
        audited = uow.session.scalars(select(AuditEntry.entity_type).where(AuditEntry.entity_type == "note")).all()
        error = uow.session.scalars(select(Job.last_error).where(Job.last_error.is_not(None))).one()
    assert audited == [] and "printer caught fire" in (error or "")
