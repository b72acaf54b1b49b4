"""File fields of task forms become documents of the case; a document id of another case is refused;
delegation to someone who does not exist names the field."""

from __future__ import annotations

import io
import json

from core.bootstrap import Services
from engine.deploy import deploy
from engine.instances import get_instance
from engine.tasks import list_tasks
from engine.workflow.parsing import SourceFile
from records.access import Principal
from records.documents import list_documents
from tests.conftest import MODELS
from tests.records_helpers import load_plan
from tests.web_helpers import csrf_from, page_client
from web.casestart import start_case

SCHEMA = {"type": "object", "title": "Antrag erfassen", "required": ["applicant", "amount", "attachment"],
          "properties": {"applicant": {"type": "string", "title": "Antragsteller·in"},
                         "amount": {"type": "number", "title": "Betrag"},
                         "attachment": {"type": "string", "format": "akte-document", "title": "Anlage"}}}
CLERK = Principal("anna", frozenset({"unit-a"}))


def _two_cases(services: Services) -> list[str]:
    load_plan(services)
    with services.db.unit_of_work() as uow:
        deploy(uow, services.engine, [SourceFile("two_step.bpmn", (MODELS / "two_step.bpmn").read_bytes()),
                                      SourceFile("capture-schema.json", json.dumps(SCHEMA).encode()),
                                      SourceFile("review-schema.json", (MODELS / "review-schema.json").read_bytes())])
        ids = [str(start_case(uow, services, CLERK, title=f"Fall {n}", process_key="two_step",
                              file={"plan_code": "32.10.05", "title": f"Akte {n}", "owning_unit": "unit-a"}).case.id)
               for n in (1, 2)]
        uow.commit()
    return ids


def _task_of(services: Services, case_id: str) -> str:
    with services.db.unit_of_work() as uow:
        for task in list_tasks(uow):
            if get_instance(uow, task.instance_id).data.get("case_id") == case_id:
                return task.id
    raise AssertionError(f"no task for case {case_id}")


def test_uploads_become_case_documents_and_foreign_ids_are_refused(services: Services) -> None:
    first, second = _two_cases(services)
    client = page_client(services, "anna", units=("unit-a",), groups=("intake", "review"))
    token = csrf_from(client.get("/inbox").get_data(as_text=True))
    task = _task_of(services, first)
    done = client.post(f"/tasks/{task}", content_type="multipart/form-data", data={
        "csrf_token": token, "_save": "complete", "applicant": "Erika", "amount": "12,5",
        "attachment": (io.BytesIO(b"Lageplan\n"), "lageplan.txt")})
    assert done.status_code == 302, done.get_data(as_text=True)
    with services.db.unit_of_work() as uow:
        stored = list_documents(uow, CLERK, case_id=first)
        review = next(t for t in list_tasks(uow) if t.name == "Antrag prüfen")
        data = get_instance(uow, review.instance_id).data
    assert [d.title for d in stored] == ["lageplan.txt"]
    assert data["attachment"] == str(stored[0].id) and data["amount"] == 12.5
    other = _task_of(services, second)
    forged = client.post(f"/tasks/{other}", data={"csrf_token": token, "_save": "complete", "applicant": "Max",
                                                  "amount": "3", "attachment": str(stored[0].id)})
    page = forged.get_data(as_text=True)
    assert forged.status_code == 400 and "Dieses Dokument gehört nicht zum Vorgang." in page
    assert _task_of(services, second) == other  # still open


def test_delegating_to_an_unknown_user_names_the_field(services: Services) -> None:
    first, _second = _two_cases(services)
    client = page_client(services, "anna", units=("unit-a",), groups=("intake", "review"))
    token = csrf_from(client.get("/inbox").get_data(as_text=True))
    task = _task_of(services, first)
    refused = client.post("/inbox/actions", data={"csrf_token": token, "action": "delegate", "task": task,
                                                  "to": "user:niemand", "comment": "bitte"},
                          headers={"HX-Request": "true"})
    assert refused.status_code == 400 and "Es gibt keine aktive Person niemand." in refused.get_data(as_text=True)
