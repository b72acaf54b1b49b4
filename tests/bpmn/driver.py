"""Drive a shipped procedure (bpmn/<name>/) end to end through akte's services, as the web and worker do.

Cases are opened like `web.casestart.start_case` does (file, case, process with `case_id`); tasks are claimed
and completed as named people with groups (so the inbox rules and the four-eyes principle apply); the worker's
due jobs run on demand; time moves with the test's FrozenClock.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from pypdf import PdfReader

from core.bootstrap import Services
from core.clock import FrozenClock
from engine.actors import TaskActor
from engine.deploy import DeployResult, deploy
from engine.jobs import run_due_jobs
from engine.messages import MessageResult, send_message
from engine.taskops import claim
from engine.tasks import complete_task, list_tasks
from engine.views import InstanceView, TaskView
from engine.workflow.parsing import SourceFile
from records.access import Principal
from records.cases import get_case
from records.documents import list_documents, read_content
from records.fileplan import import_plan, parse_plan_csv
from records.files import get_file
from records.views import CaseView, DocumentView, FileView
from tests.conftest import REPO
from tests.helpers import instance
from web.casestart import start_case

PROCEDURES = REPO / "bpmn"
SUFFIXES = (".bpmn", ".dmn", ".json", ".html")
OFFICE = Principal.system("test office")
PLAN = ("code;title;retention_years\n01;Allgemeine Verwaltung;\n01.10;Bürgeranfragen;5\n20;Finanzen;\n"
        "20.30;Rechnungseingang;10\n32;Ordnungsangelegenheiten;\n32.20;Gewerbeangelegenheiten;10\n"
        "36;Straßenverkehr;\n36.30;Fahrerlaubnisse;10\n")


def procedure_files(name: str) -> list[SourceFile]:
    folder = PROCEDURES / name
    return [SourceFile(path.name, path.read_bytes())
            for path in sorted(folder.rglob("*")) if path.is_file() and path.name.lower().endswith(SUFFIXES)]


def deploy_procedure(services: Services, name: str) -> DeployResult:
    """Deploy every model, decision, form and letter template of bpmn/<name>/ and the demo file plan."""
    with services.db.unit_of_work() as uow:
        import_plan(uow, parse_plan_csv(PLAN, "test plan"))
        result = deploy(uow, services.engine, procedure_files(name), deployed_by="test")
        uow.commit()
    return result


def open_case(services: Services, process_key: str, *, plan_code: str, unit: str, applicant: dict[str, Any],
              title: str, data: dict[str, Any] | None = None) -> tuple[CaseView, InstanceView]:
    """A new file (plan `plan_code`, owned by `unit`) with one case whose process `process_key` starts."""
    with services.db.unit_of_work() as uow:
        started = start_case(uow, services, OFFICE, title=title, applicant=applicant, process_key=process_key,
                             file={"plan_code": plan_code, "title": title, "owning_unit": unit}, data=data)
        uow.commit()
    assert started.instance is not None
    return started.case, started.instance


def person(login: str, *groups: str) -> TaskActor:
    return TaskActor(name=login, groups=frozenset(groups))


def open_tasks(services: Services, instance_id: str) -> list[TaskView]:
    with services.db.unit_of_work() as uow:
        return list_tasks(uow, instance_id=instance_id)


def the_task(services: Services, instance_id: str, element_id: str) -> TaskView:
    """The one open task of element `element_id`; fails listing the open tasks if there is none."""
    tasks = open_tasks(services, instance_id)
    found = [task for task in tasks if task.element_id == element_id]
    assert len(found) == 1, f"expected one open {element_id}, open: {[t.element_id for t in tasks]}"
    return found[0]


def claim_as(services: Services, actor: TaskActor, task_id: str) -> None:
    with services.db.unit_of_work() as uow:
        claim(uow, services.engine, actor, task_id)
        uow.commit()


def complete_as(services: Services, actor: TaskActor, task_id: str, data: dict[str, Any]) -> InstanceView:
    """Claim (unless already the assignee) and complete the task as `actor`, then run the worker."""
    with services.db.unit_of_work() as uow:
        claim(uow, services.engine, actor, task_id)
        view = complete_task(uow, services.engine, task_id, data, actor=actor)
        uow.commit()
    run_jobs(services)
    return instance(services, view.id)


def run_jobs(services: Services) -> int:
    """Run the worker's due jobs (service tasks, timers) until none is left."""
    total = 0
    while done := run_due_jobs(services.db, services.engine):
        total += done
    return total


def advance(services: Services, clock: FrozenClock, delta: timedelta) -> int:
    clock.advance(delta)
    return run_jobs(services)


def message(services: Services, name: str, correlate: dict[str, str], data: dict[str, Any] | None = None
            ) -> MessageResult:
    with services.db.unit_of_work() as uow:
        result = send_message(uow, services.engine, name, correlate, data, actor="poststelle")
        uow.commit()
    run_jobs(services)
    return result


def case(services: Services, case_id: object) -> CaseView:
    with services.db.unit_of_work() as uow:
        return get_case(uow, services.records, OFFICE, str(case_id))


def case_file(services: Services, case_id: object) -> FileView:
    with services.db.unit_of_work() as uow:
        return get_file(uow, OFFICE, case(services, case_id).file_id)


def documents(services: Services, case_id: object) -> list[DocumentView]:
    with services.db.unit_of_work() as uow:
        return list_documents(uow, OFFICE, case_id=str(case_id))


def document_bytes(services: Services, document_id: object) -> bytes:
    with services.db.unit_of_work() as uow:
        content = read_content(uow, services.records, OFFICE, str(document_id))
        uow.commit()
    with services.records.blobs.open(content.blob_key) as stream:
        return bytes(stream.read())


def pdf_text(services: Services, document_id: object) -> str:
    """The text of a stored PDF document (whitespace collapsed)."""
    reader = PdfReader(io.BytesIO(document_bytes(services, document_id)))
    return " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())


def titles(docs: Iterable[DocumentView]) -> list[str]:
    return [doc.title for doc in docs]


def shipped_procedures() -> list[str]:
    return sorted(path.name for path in PROCEDURES.iterdir() if path.is_dir() and any(path.glob("*.bpmn")))

