"""`akte demo load` with every shipped procedure deployed: ~60 cases in every state, played on the engine's
clock (reminders and escalations have fired), resumable, only on an installation without other users — and
every open task of the demo office opens for the people of its group."""

from __future__ import annotations

import re
from collections import Counter

from flask.testing import FlaskClient
from sqlalchemy import select

from core.bootstrap import Services
from engine.lifecycle import list_incidents
from engine.models import HumanTask
from records.models import Document, RecordCase
from tests.bpmn.driver import deploy_procedure, shipped_procedures
from tests.web_helpers import ensure_user, signed_in
from web.demo import DEMO_PASSWORD, DEMO_USERS, load_demo
from web.demo.scenarios import all_cases


def _office(services: Services) -> None:
    for name in shipped_procedures():
        deploy_procedure(services, name)


def test_demo_office_has_cases_in_every_state_and_resumes(services: Services) -> None:
    _office(services)
    wanted = all_cases()
    first_part = load_demo(services, cases=wanted[:7])
    assert (first_part.users_created, first_part.cases_created) == (len(DEMO_USERS), 7)
    rest = load_demo(services)  # resumes: only what is missing
    assert (rest.users_created, rest.cases_created, rest.missing_procedures) == (0, len(wanted) - 7, ())
    assert len(wanted) >= 55

    with services.db.unit_of_work() as uow:
        session = uow.session
        open_tasks = Counter(session.execute(select(HumanTask.process_key, HumanTask.element_id)
                                             .where(HumanTask.status == "open")).all())
        outcomes = Counter(session.scalars(select(RecordCase.outcome)))
        letters = Counter(session.scalars(select(Document.title).where(Document.kind == "letter")))
        orders = session.scalar(select(Document.id).where(Document.kind == "payment_order").limit(1))
        assert list_incidents(uow) == []
    assert len(wanted) == sum(outcomes.values())
    for task in (("fuehrerscheinumtausch", "Task_antrag_erfassen"), ("fuehrerscheinumtausch", "Task_formalpruefung"),
                 ("fuehrerscheinumtausch", "Task_rueckgabe_klaeren"), ("gewerbeanmeldung", "Task_erfassen"),
                 ("gewerbeanmeldung", "Task_erlaubnis_nachweisen"), ("gewerbeanmeldung", "Task_erlaubnis_pruefen"),
                 ("gewerbeanmeldung", "Task_hinweise_klaeren"), ("rechnungseingang", "Task_sachlich_richtig"),
                 ("rechnungseingang", "Task_zweitfreigabe"), ("allgemeine_anfrage", "Task_erfassen")):
        assert open_tasks[task] >= 1, task
    assert {"approved", "registered", "paid", "rejected", None} <= set(outcomes)
    assert letters["Erinnerung"] >= 5  # licence reminders fired on the simulated clock (14 days)
    assert letters["Abholbenachrichtigung"] >= 3 and letters["Gewerbeanmeldebestätigung"] >= 5
    assert orders is not None

    again = load_demo(services)
    assert (again.users_created, again.cases_created) == (0, 0)
    _every_open_task_opens_for_its_group(services)


def _every_open_task_opens_for_its_group(services: Services) -> None:
    with services.db.unit_of_work() as uow:
        tasks = {(row.process_key, row.element_id): (row.id, tuple(row.candidate_groups))
                 for row in uow.session.scalars(select(HumanTask).where(HumanTask.status == "open"))}
    clients: dict[str, FlaskClient] = {}
    for (process, element), (task_id, groups) in sorted(tasks.items()):
        login = next(user.login for user in DEMO_USERS if set(user.groups) & set(groups) and user.login != "svenja")
        client = clients.setdefault(login, signed_in(services, login, DEMO_PASSWORD))
        page = client.get(f"/tasks/{task_id}")
        assert page.status_code == 200, (process, element, login, page.status_code)
        assert re.search(r"<form[^>]+method=\"post\"", page.get_data(as_text=True)), (process, element)


def test_demo_is_not_loaded_where_other_people_work(services: Services) -> None:
    _office(services)
    ensure_user(services, "echte.person")
    result = load_demo(services)
    assert result.cases_created == 0 and result.skipped and "echte.person" in result.skipped
