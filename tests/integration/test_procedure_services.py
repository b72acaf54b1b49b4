"""The services shipped procedures rely on: letters as PDF/A, four-eyes principle, fees, payment orders and the
file's follow-up date — through a small Camunda-dialect model, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import uuid
from datetime import date
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from core.bootstrap import Services
from core.clock import FrozenClock
from core.errors import Forbidden
from engine.actors import TaskActor
from engine.deploy import deploy
from engine.taskops import delegate
from engine.tasks import complete_task
from engine.workflow.parsing import SourceFile
from engine.workflow.problems import ModelRejected
from records.fileplan import import_plan, parse_plan_csv
from tests.bpmn.driver import (
    case,
    case_file,
    claim_as,
    complete_as,
    document_bytes,
    documents,
    instance,
    open_case,
    pdf_text,
    person,
    the_task,
)
from tests.conftest import MODELS

ANNA, BERT = person("anna", "pruefer"), person("bert", "pruefer")
BOSS = TaskActor(name="chefin", groups=frozenset(), is_admin=True)


def _plan(services: Services) -> None:
    with services.db.unit_of_work() as uow:
        import_plan(uow, parse_plan_csv("code;title;retention_years\n01;Allgemeines;\n01.10;Anfragen;5\n"))
        uow.commit()


def _deploy(services: Services, *extra: SourceFile) -> None:
    files = [SourceFile("approval_letter.bpmn", (MODELS / "approval_letter.bpmn").read_bytes()),
             SourceFile("bescheid.html", (MODELS / "letters" / "bescheid.html").read_bytes()), *extra]
    _plan(services)
    with services.db.unit_of_work() as uow:
        deploy(uow, services.engine, files)
        uow.commit()


def _start(services: Services, applicant: str, **data: Any) -> tuple[str, str]:
    opened, started = open_case(services, "approval_letter", plan_code="01.10", unit="10",
                                applicant={"kind": "person", "name": applicant}, title="Testantrag", data=data)
    return str(opened.id), started.id


def _refused(action: Any) -> str:
    with pytest.raises(Forbidden) as caught:
        action()
    return str(caught.value)


def test_four_eyes_letter_fee_order_and_follow_up(services: Services, clock: FrozenClock) -> None:
    _deploy(services)
    case_id, instance_id = _start(services, "Erika Mustermann", gebuehr=25.3, hinweis="<script>alert(1)</script>")
    complete_as(services, ANNA, the_task(services, instance_id, "first").id, {})
    second = the_task(services, instance_id, "second").id

    assert "four-eyes principle: anna completed “Sachlich richtig”" in _refused(
        lambda: claim_as(services, ANNA, second))

    def delegate_to_anna() -> None:
        with services.db.unit_of_work() as uow:
            delegate(uow, services.engine, BOSS, second, to_user="anna", comment="bitte übernehmen")

    def complete_as_admin_anna() -> None:
        with services.db.unit_of_work() as uow:
            complete_task(uow, services.engine, second, {}, actor=TaskActor("anna", frozenset(), is_admin=True))

    def complete_without_user() -> None:
        with services.db.unit_of_work() as uow:
            complete_task(uow, services.engine, second, {})

    assert "anna" in _refused(delegate_to_anna)
    assert "anna" in _refused(complete_as_admin_anna)
    assert "needs a named user" in _refused(complete_without_user)

    done = complete_as(services, BERT, second, {})
    assert done.status == "completed", done
    assert done.data["zahlung"]["status"] == "paid" and done.data["zahlung"]["amount"] == 25.3
    assert done.data["anordnung"]["status"] == "ordered"

    docs = {doc.kind: doc for doc in documents(services, case_id)}
    letter = docs["letter"]
    assert letter.title == "Bescheid" and letter.versions[0].media_type == "application/pdf"
    text = pdf_text(services, letter.id)
    reference = case(services, case_id).reference_number
    assert reference in text and "Erika Mustermann" in text and "25,30 €" in text
    assert "Stadt Krefeld" in text and clock.now().strftime("%d.%m.%Y") in text
    assert "<script>alert(1)</script>" in text  # shown as text: the template is autoescaped
    catalog = PdfReader(io.BytesIO(document_bytes(services, letter.id))).trailer["/Root"]
    assert b'pdfaid:part="2" pdfaid:conformance="B"' in catalog["/Metadata"].get_data()  # declared PDF/A-2b …
    assert catalog["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFA1"  # … with its colour output intent

    order = json.loads(document_bytes(services, docs["payment_order"].id))
    assert order["iban"] == "DE02120300000000202051" and order["amount"] == "25.30"
    assert order["payment_order_id"] == done.data["anordnung"]["payment_order_id"]
    assert order["signed_by"] == ["anna", "bert"]  # who completed the approvals, from the task history
    assert case_file(services, case_id).follow_up_date == date(2027, 7, 5)  # 2026-01-05 + P1Y6M


def test_declined_payment_is_a_bpmn_error_the_model_catches(services: Services) -> None:
    _deploy(services)
    case_id, instance_id = _start(services, "Max ABGELEHNT", gebuehr=10)
    complete_as(services, ANNA, the_task(services, instance_id, "first").id, {})
    done = complete_as(services, BERT, the_task(services, instance_id, "second").id, {})
    assert done.status == "completed"
    assert "zahlung" not in done.data and documents(services, case_id) == []
    thrown = [event for event in instance(services, instance_id).history if event.kind == "error_thrown"]
    assert [(event.element_id, event.payload.get("code")) for event in thrown] == [("pay", "PAYMENT_DECLINED")]


def test_bad_letter_template_and_four_eyes_reference_are_rejected_at_deployment(services: Services) -> None:
    model = (MODELS / "approval_letter.bpmn").read_text()
    with services.db.unit_of_work() as uow, pytest.raises(ModelRejected) as caught:
        deploy(uow, services.engine, [SourceFile("approval_letter.bpmn", model.encode()),
                                      SourceFile("bescheid.html", b"<p>Hallo</p>\n<p>{{ name </p>\n")])
    assert "bescheid.html:2: -: letter template is not valid Jinja" in str(caught.value)
    wrong = model.replace('value="first"', 'value="nirgends"')
    with services.db.unit_of_work() as uow, pytest.raises(ModelRejected) as caught:
        deploy(uow, services.engine, [SourceFile("approval_letter.bpmn", wrong.encode()),
                                      SourceFile("bescheid.html", b"<p>x</p>")])
    assert "second: fourEyesWith: 'nirgends' is not another user task" in str(caught.value)


def test_forms_and_letters_of_the_same_name_stay_with_their_own_procedure(services: Services) -> None:
    """Two procedures both ship `antrag.json` and `bescheid.html`; a new version of the first deployed
    without them (as the modeler saves) still uses its own, not the other procedure's newer ones."""
    from engine.models import ProcessDefinition
    from engine.resources import instance_template

    base = (MODELS / "approval_letter.bpmn").read_text().replace(
        '<bpmn:userTask id="first" name="Sachlich richtig"', '<bpmn:userTask id="first" name="Sachlich richtig" '
        'camunda:formKey="antrag.json"')
    other = base.replace('id="approval_letter"', 'id="other_letter"')

    def form(title: str) -> bytes:
        return json.dumps({"type": "object", "title": title, "properties": {}}).encode()

    with services.db.unit_of_work() as uow:
        deploy(uow, services.engine, [SourceFile("approval_letter.bpmn", base.encode()),
                                      SourceFile("antrag.json", form("A")), SourceFile("bescheid.html", b"<p>A</p>")])
        deploy(uow, services.engine, [SourceFile("other_letter.bpmn", other.encode()),
                                      SourceFile("antrag.json", form("B")), SourceFile("bescheid.html", b"<p>B</p>")])
        changed = base.replace('name="Zweite Freigabe"', 'name="Zweite Freigabe (neu)"')
        result = deploy(uow, services.engine, [SourceFile("approval_letter.bpmn", changed.encode())])
        uow.commit()
    assert [(p.key, p.version) for p in result.processes] == [("approval_letter", 2)]
    with services.db.unit_of_work() as uow:
        tasks = uow.session.scalar(select(ProcessDefinition.user_tasks).where(
            ProcessDefinition.key == "approval_letter", ProcessDefinition.version == 2))
        assert tasks["first"]["form_schema"]["title"] == "A"
    _plan(services)
    _case, instance_id = _start(services, "Erika Mustermann", gebuehr=1)
    with services.db.unit_of_work() as uow:
        assert instance_template(uow, uuid.UUID(instance_id), "bescheid.html") == "<p>A</p>"
