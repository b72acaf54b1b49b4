"""Supervisors: case list with filters (and nothing of other units), case detail, reassigning tasks and changing
due dates (single and bulk, audited in the history), incidents (retry, cancel with a reason), role checks."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from core.bootstrap import Services
from core.clock import FrozenClock
from core.errors import ValidationFailed
from engine.deploy import deploy
from engine.handlers import HandlerRegistry
from engine.instances import get_instance
from engine.jobs import run_due_jobs
from engine.lifecycle import list_incidents
from engine.supervision import change_due, open_incidents, reassign
from engine.tasks import complete_task, get_task
from engine.views import InstanceView
from records.access import Confidentiality, Principal
from records.cases import close_case
from records.models import RecordCase, RecordFile
from tests.helpers import model_files
from tests.inbox_helpers import actor, ids, page
from tests.records_helpers import load_plan
from tests.web_helpers import csrf_from, page_client
from web.casestart import start_case
from web.ui.supervisor import caselist
from web.ui.supervisor.caselist import CaseQuery, search_cases

OFFICE = Principal.system("office")
SUPERVISOR_A = Principal("sara", frozenset({"unit-a"}), Confidentiality.INTERNAL)


class Register:
    """The outside register the flaky procedure asks; unreachable until told otherwise."""

    def __init__(self) -> None:
        self.reachable = False

    def __call__(self, params: dict[str, Any]) -> dict[str, Any]:
        if not self.reachable:
            raise RuntimeError("register unreachable (connection refused)")
        return {"found": True}


@pytest.fixture(autouse=True)
def register(handlers: HandlerRegistry) -> Register:
    found = Register()
    handlers.register("test.register", found)
    return found


@dataclass(frozen=True)
class Opened:
    case_id: str
    reference: str
    instance_id: str | None
    tasks: dict[str, str]  # element id -> task id


def prepare(services: Services) -> None:
    load_plan(services)
    with services.db.unit_of_work() as uow:
        deploy(uow, services.engine, model_files("supervised.bpmn", "flaky.bpmn"), deployed_by="test")
        uow.commit()


def open_case(services: Services, *, unit: str = "unit-a", key: str | None = "supervised", title: str = "Antrag",
              applicant: str = "Erika Mustermann", due: str = "2026-12-31") -> Opened:
    with services.db.unit_of_work() as uow:
        started = start_case(uow, services, OFFICE, title=title, applicant={"kind": "person", "name": applicant},
                             process_key=key, data={"due": due},
                             file={"plan_code": "32.10.05", "title": title, "owning_unit": unit})
        uow.commit()
    instance = started.instance
    return Opened(str(started.case.id), started.case.reference_number, instance.id if instance else None,
                  {task.element_id: task.id for task in instance.open_tasks} if instance else {})


def exhaust_retries(services: Services, clock: FrozenClock) -> None:
    for _attempt in range(6):
        clock.advance(timedelta(minutes=30))
        run_due_jobs(services.db, services.engine)


def incident_case(services: Services, clock: FrozenClock, unit: str = "unit-a", title: str = "Abfrage") -> Opened:
    opened = open_case(services, key="flaky", unit=unit, title=title, applicant="Ines Irrtum")
    exhaust_retries(services, clock)
    return opened


def instance(services: Services, instance_id: str | None) -> InstanceView:
    assert instance_id is not None
    with services.db.unit_of_work() as uow:
        return get_instance(uow, instance_id, with_history=True)


def found(services: Services, principal: Principal = SUPERVISOR_A, **filters: Any) -> list[str]:
    with services.db.unit_of_work() as uow:
        result = search_cases(uow, principal, CaseQuery(**filters), services.clock.now())
    return [row.reference_number for row in result.rows]


def supervisor(services: Services, login: str = "sara", units: tuple[str, ...] = ("unit-a",),
               roles: tuple[str, ...] = ("supervisor",)) -> FlaskClient:
    return page_client(services, login, roles=roles, units=units, locale="en")


def post(client: FlaskClient, path: str, data: dict[str, Any], token_from: str = "/supervisor/cases") -> Any:
    token = csrf_from(client.get(token_from).get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token})


def flashed(client: FlaskClient, path: str) -> str:
    html: str = client.get(path).get_data(as_text=True)
    match = re.search(r'<p class="flash flash-(\w+)">(.*?)</p>', html, re.S)
    return f"{match.group(1)}: {match.group(2)}" if match else ""


# --- the case list ---------------------------------------------------------------------------------------------

def test_every_filter_narrows_the_list(services: Services, clock: FrozenClock, register: Register) -> None:
    prepare(services)
    overdue = open_case(services, title="Umtausch Führerschein", applicant="Erika Mustermann", due="2026-01-06")
    clock.advance(timedelta(days=3))
    troubled = incident_case(services, clock)  # an incident; its retries take three hours
    clock.advance(timedelta(days=3))
    closed = open_case(services, title="Erledigter Antrag", applicant="Max Muster")
    with services.db.unit_of_work() as uow:
        close_case(uow, services.records, OFFICE, closed.case_id, "approved")
        uow.commit()
    clock.advance(timedelta(days=3))
    later = open_case(services, title="Neuer Antrag", applicant="Hans Huber")
    no_process = open_case(services, key=None, title="Ohne Verfahren", applicant="Ida Ohne")
    waiting = open_case(services, key="flaky", title="Wartet", applicant="Walter Warte")  # at its timer
    other = open_case(services, unit="unit-b", title="Umtausch Führerschein", applicant="Erika Mustermann")
    mine = {overdue.reference, troubled.reference, closed.reference, later.reference, no_process.reference,
            waiting.reference}

    assert set(found(services)) == mine  # nothing of unit-b
    assert set(found(services, procedure="supervised")) == {overdue.reference, closed.reference, later.reference}
    assert found(services, state="closed") == [closed.reference]
    assert found(services, state="incident") == [troubled.reference]
    assert found(services, state="waiting") == [waiting.reference]
    assert set(found(services, state="in_progress")) == {overdue.reference, later.reference}
    assert set(found(services, state="open")) == mine - {closed.reference}
    assert found(services, overdue=True) == [overdue.reference]
    assert found(services, unit="unit-b") == []
    assert set(found(services, Principal.system("admin"), unit="unit-b")) == {other.reference}
    day = clock.now().date()
    assert set(found(services, opened_from=day)) == {later.reference, no_process.reference, waiting.reference}
    assert set(found(services, opened_to=day - timedelta(days=4))) == {overdue.reference, troubled.reference}
    assert found(services, closed_from=day - timedelta(days=3), closed_to=day - timedelta(days=3)) == [
        closed.reference]
    assert found(services, closed_from=day) == []
    assert found(services, text="mustermann") == [overdue.reference]
    assert found(services, text="führerschein") == [overdue.reference]
    assert found(services, text=later.reference) == [later.reference]
    assert found(services, text="%") == []  # LIKE wildcards are plain characters
    assert found(services, text="Umtausch", procedure="supervised", overdue=True) == [overdue.reference]
    # the newest first by default; oldest first on request
    assert found(services)[-1] == overdue.reference
    assert found(services, sort="opened_asc")[0] == overdue.reference


def test_unit_a_never_sees_unit_b(services: Services, clock: FrozenClock, register: Register) -> None:
    prepare(services)
    theirs = open_case(services, unit="unit-b", title="Geheimsache Bauantrag", applicant="Bernd Bauherr")
    their_incident = incident_case(services, clock, unit="unit-b", title="Fremde Abfrage")
    ours = open_case(services, title="Unser Antrag")
    secret = open_case(services, title="Streng vertraulich")
    with services.db.unit_of_work() as uow:  # unit-a's own file, but above the supervisor's clearance
        row = uow.session.get(RecordCase, uuid.UUID(secret.case_id))
        assert row is not None
        file = uow.session.get(RecordFile, row.file_id)
        assert file is not None
        file.confidentiality = int(Confidentiality.SECRET)
        uow.commit()
    for text in ("Geheimsache", theirs.reference, "Bernd", "Fremde"):
        assert found(services, text=text) == []
    assert found(services, text="Streng") == []
    assert set(found(services, state="open")) == {ours.reference}

    sara = supervisor(services)
    listing = sara.get("/supervisor/cases?q=Bauantrag").get_data(as_text=True)
    assert theirs.reference not in listing and "Geheimsache" not in listing
    assert theirs.reference not in sara.get("/supervisor/cases").get_data(as_text=True)
    assert sara.get(f"/supervisor/cases/{theirs.case_id}").status_code == 404
    assert sara.get(f"/supervisor/cases/{ours.case_id}").status_code == 200
    incidents = sara.get("/supervisor/incidents").get_data(as_text=True)
    assert "register unreachable" not in incidents and their_incident.reference not in incidents
    with services.db.unit_of_work() as uow:
        incident_id = list_incidents(uow, instance_id=their_incident.instance_id)[0].id
    assert post(sara, f"/supervisor/incidents/{incident_id}/retry", {}).status_code == 404
    assert post(sara, f"/supervisor/incidents/{incident_id}/cancel", {"reason": "weg"}).status_code == 404
    response = post(sara, "/supervisor/tasks/actions", {"task": theirs.tasks["work"], "action": "reassign",
                                                         "to": "user:sara", "comment": "mine now"})
    assert response.status_code == 302
    assert "0 of 1" in flashed(sara, "/supervisor/cases")
    with services.db.unit_of_work() as uow:
        assert get_task(uow, theirs.tasks["work"]).assignee is None
    assert instance(services, their_incident.instance_id).status == "running"


def test_pages_of_the_list(services: Services, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch) -> None:
    prepare(services)
    opened = []
    for number in range(5):
        opened.append(open_case(services, title=f"Antrag {number}"))
        clock.advance(timedelta(minutes=1))
    monkeypatch.setattr(caselist, "PAGE_SIZE", 2)
    with services.db.unit_of_work() as uow:
        first = search_cases(uow, SUPERVISOR_A, CaseQuery(sort="opened_asc"), services.clock.now())
        third = search_cases(uow, SUPERVISOR_A, CaseQuery(sort="opened_asc", page=3), services.clock.now())
        with pytest.raises(ValidationFailed):
            search_cases(uow, SUPERVISOR_A, CaseQuery(page=caselist.MAX_PAGE + 1), services.clock.now())
    assert first.has_next and first.total == 5 and len(first.rows) == 2
    assert [row.reference_number for row in third.rows] == [opened[4].reference] and not third.has_next
    sara = supervisor(services)
    html = sara.get("/supervisor/cases?page=2&sort=opened_asc").get_data(as_text=True)
    assert opened[2].reference in html and opened[0].reference not in html and 'rel="next"' in html
    assert sara.get("/supervisor/cases?opened_from=yesterday").status_code == 400
    assert sara.get("/supervisor/cases?state=unknown").status_code == 400


# --- reassigning and due dates -------------------------------------------------------------------------------

def test_reassign_single_and_bulk_with_outcomes(services: Services) -> None:
    prepare(services)
    first, second = open_case(services), open_case(services)
    with services.db.unit_of_work() as uow:
        outcomes = reassign(uow, services.engine, "sara", [first.tasks["work"], second.tasks["work"],
                                                           str(uuid.uuid4()), "not-a-task"],
                            to_user="ben", comment="Anna ist im Urlaub")
        uow.commit()
    assert [outcome.ok for outcome in outcomes] == [True, True, False, False]
    assert [outcome.code for outcome in outcomes[2:]] == ["not_found", "not_found"]
    assert set(ids(page(services, actor("ben", "clerks"), "mine"))) == {first.tasks["work"], second.tasks["work"]}
    event = next(e for e in instance(services, first.instance_id).history if e.kind == "task_reassigned")
    assert event.actor == "sara" and event.task_id == first.tasks["work"]
    assert event.payload == {"before": {"assignee": None, "candidate_groups": ["clerks"]},
                             "after": {"assignee": "ben", "candidate_groups": ["clerks"]},
                             "comment": "Anna ist im Urlaub"}

    with services.db.unit_of_work() as uow:  # to a group: unassigned, that group its only candidate group
        again = reassign(uow, services.engine, "sara", [first.tasks["work"], first.tasks["check"]],
                         to_group="finance", comment="Zuständigkeit gewechselt",
                         versions={first.tasks["check"]: 99})
        uow.commit()
        moved = get_task(uow, first.tasks["work"])
    assert [outcome.ok for outcome in again] == [True, False] and again[1].code == "conflict"
    assert (moved.assignee, moved.candidate_groups) == (None, ["finance"])
    assert ids(page(services, actor("ben", "clerks"), "mine")) == [second.tasks["work"]]
    assert ids(page(services, actor("fiona", "finance"), "groups")) == [first.tasks["work"]]
    with services.db.unit_of_work() as uow, pytest.raises(ValidationFailed, match="comment is required"):
        reassign(uow, services.engine, "sara", [second.tasks["work"]], to_user="ben", comment=" ")
    with services.db.unit_of_work() as uow, pytest.raises(ValidationFailed, match="person or a group"):
        reassign(uow, services.engine, "sara", [second.tasks["work"]], to_user="ben", to_group="x", comment="c")
    with services.db.unit_of_work() as uow:  # outside `within`: does not exist for this supervisor
        outside = reassign(uow, services.engine, "sara", [second.tasks["work"]], to_user="carl", comment="c",
                           within={uuid.UUID(str(first.instance_id))})
    assert outside[0].code == "not_found"


def test_reassign_in_the_browser_single_bulk_and_unknown_user(services: Services) -> None:
    prepare(services)
    first, second = open_case(services), open_case(services)
    page_client(services, "ben", groups=("clerks",), units=("unit-a",))
    sara = supervisor(services)
    sara.get("/supervisor/cases")  # the groups people are in are offered as targets
    bulk = post(sara, "/supervisor/tasks/actions", {
        "task": [first.tasks["work"], second.tasks["work"], second.tasks["check"]], "action": "reassign",
        "to": "user:ben", "comment": "Vertretung", "back": "/supervisor/cases?state=open",
        f"version-{second.tasks['check']}": "1"})
    assert bulk.status_code == 302 and bulk.headers["Location"].endswith("/supervisor/cases?state=open")
    assert flashed(sara, "/supervisor/cases") == "info: 3 of 3 task(s) changed."
    with services.db.unit_of_work() as uow:
        assert {get_task(uow, task).assignee for task in (first.tasks["work"], second.tasks["check"])} == {"ben"}

    single = post(sara, "/supervisor/tasks/actions", {"task": first.tasks["check"], "action": "reassign",
                                                       "to": "group:clerks", "comment": "an alle",
                                                       "back": f"/supervisor/cases/{first.case_id}"})
    assert single.headers["Location"].endswith(f"/supervisor/cases/{first.case_id}")
    detail = sara.get(f"/supervisor/cases/{first.case_id}").get_data(as_text=True)
    assert "1 of 1 task(s) changed." in detail
    assert "an alle" in detail and "task_reassigned" in detail  # the supervision log and the history
    assert "Vertretung" in sara.get(f"/cases/{first.case_id}").get_data(as_text=True)  # the case page's history

    post(sara, "/supervisor/tasks/actions", {"task": first.tasks["work"], "action": "reassign",
                                             "to": "user:ghost", "comment": "wer?"})
    assert flashed(sara, "/supervisor/cases") == "error: There is no active user ghost."
    post(sara, "/supervisor/tasks/actions", {"task": first.tasks["work"], "action": "reassign",
                                             "to": "group:nobody-here", "comment": "wer?"})
    assert "Nobody belongs to group nobody-here" in flashed(sara, "/supervisor/cases")
    post(sara, "/supervisor/tasks/actions", {"task": first.tasks["work"], "action": "reassign",
                                             "to": "user:sara", "comment": ""})
    assert "comment is required" in flashed(sara, "/supervisor/cases")
    post(sara, "/supervisor/tasks/actions", {"action": "reassign", "to": "user:ben", "comment": "x"})
    assert flashed(sara, "/supervisor/cases") == "error: Select at least one task."
    with services.db.unit_of_work() as uow:
        assert get_task(uow, first.tasks["work"]).assignee == "ben"
    outside = post(sara, "/supervisor/tasks/actions", {"task": first.tasks["work"], "action": "due",
                                                        "due": "2026-03-01", "back": "https://evil.example/"})
    assert outside.headers["Location"] == "/supervisor/cases"


def test_four_eyes_refuses_the_person_who_did_the_earlier_step(services: Services) -> None:
    prepare(services)
    opened = open_case(services)
    with services.db.unit_of_work() as uow:
        complete_task(uow, services.engine, opened.tasks["check"], {}, actor=actor("rita", "review"))
        uow.commit()
    sign = next(task.id for task in instance(services, opened.instance_id).open_tasks if task.element_id == "sign")
    with services.db.unit_of_work() as uow:
        outcomes = reassign(uow, services.engine, "sara", [sign, opened.tasks["work"]], to_user="rita",
                            comment="bitte zeichnen")
        uow.commit()
    assert not outcomes[0].ok and outcomes[0].code == "forbidden" and "four-eyes" in str(outcomes[0].error)
    assert outcomes[1].ok  # the other task is not separated from `check`
    page_client(services, "rita", groups=("review",))
    sara = supervisor(services)
    post(sara, "/supervisor/tasks/actions", {"task": sign, "action": "reassign", "to": "user:rita",
                                             "comment": "bitte"})
    assert "four-eyes principle" in flashed(sara, "/supervisor/cases")
    with services.db.unit_of_work() as uow:
        assert get_task(uow, sign).assignee is None


def test_due_date_change_shows_in_the_task_and_the_history(services: Services, clock: FrozenClock) -> None:
    prepare(services)
    first, second = open_case(services), open_case(services, due="2026-01-06")
    sara = supervisor(services)
    response = post(sara, "/supervisor/tasks/actions", {"task": first.tasks["work"], "action": "due",
                                                         "due": "2026-02-20", "comment": "Unterlagen fehlen",
                                                         "back": f"/supervisor/cases/{first.case_id}"})
    assert response.status_code == 302
    with services.db.unit_of_work() as uow:
        assert get_task(uow, first.tasks["work"]).due == "2026-02-20T22:59:59+00:00"  # the day's end in Krefeld
    detail = sara.get(f"/supervisor/cases/{first.case_id}").get_data(as_text=True)
    assert 'datetime="2026-02-20T22:59:59+00:00"' in detail  # the task row
    log = detail[detail.index('id="supervision-log"'):]
    assert "Dec 31, 2026" in log and "Feb 20, 2026" in log and "Unterlagen fehlen" in log
    event = next(e for e in instance(services, first.instance_id).history if e.kind == "task_due_changed")
    assert event.payload["before"] == {"due": "2026-12-31T22:59:59+00:00"} and event.actor == "sara"

    clock.advance(timedelta(days=2))  # the second case's task is overdue now; a bulk change lifts it
    assert found(services, overdue=True) == [second.reference]
    with services.db.unit_of_work() as uow:
        outcomes = change_due(uow, services.engine, "sara", [first.tasks["work"], second.tasks["work"],
                                                             second.tasks["check"]], date(2026, 3, 1), None)
        uow.commit()
    assert [outcome.ok for outcome in outcomes] == [True, True, True]
    assert found(services, overdue=True) == []
    with services.db.unit_of_work() as uow:
        with pytest.raises(ValidationFailed, match="in the past"):
            change_due(uow, services.engine, "sara", [first.tasks["work"]], date(2026, 1, 1), None)
        same = change_due(uow, services.engine, "sara", [first.tasks["work"]], date(2026, 3, 1), None)
        cleared = change_due(uow, services.engine, "sara", [second.tasks["check"]], None, "ohne Frist")
        uow.commit()
        assert get_task(uow, second.tasks["check"]).due is None
    assert same[0].code == "conflict" and cleared[0].ok
    post(sara, "/supervisor/tasks/actions", {"task": first.tasks["work"], "action": "due", "due": ""})
    assert "Please enter a date." in flashed(sara, "/supervisor/cases")
    post(sara, "/supervisor/tasks/actions", {"task": first.tasks["work"], "action": "clear_due", "comment": "x"})
    with services.db.unit_of_work() as uow:
        assert get_task(uow, first.tasks["work"]).due is None
    with services.db.unit_of_work() as uow:  # the inbox's due order follows (entries rewritten)
        listed = page(services, actor("ben", "clerks"), "groups", sort="due")
    assert ids(listed)[0] == second.tasks["work"]


# --- incidents -------------------------------------------------------------------------------------------------

def test_incident_retry_and_cancel_with_a_reason(services: Services, clock: FrozenClock, register: Register) -> None:
    prepare(services)
    retried = incident_case(services, clock, title="Abfrage eins")
    cancelled = incident_case(services, clock, title="Abfrage zwei")
    with services.db.unit_of_work() as uow:
        incidents = {item.instance_id: item for item in open_incidents(uow)}
    assert set(incidents) == {retried.instance_id, cancelled.instance_id}
    first = incidents[str(retried.instance_id)]
    assert first.attempts == 3 and first.handler == "test.register" and first.element_id == "query"
    assert "RuntimeError" in first.message and "Traceback" in (first.details or "")

    sara = supervisor(services)
    html = sara.get("/supervisor/incidents").get_data(as_text=True)
    assert html.count("register unreachable") >= 2 and "<details>" in html and "Traceback" in html
    assert f'href="/supervisor/cases/{retried.case_id}"' in html
    case_page = sara.get(f"/supervisor/cases/{retried.case_id}").get_data(as_text=True)
    assert f'id="incident-{first.id}"' in case_page and "register unreachable" in case_page

    register.reachable = True
    response = post(sara, f"/supervisor/incidents/{first.id}/retry", {}, token_from="/supervisor/incidents")
    assert response.status_code == 302 and response.headers["Location"] == "/supervisor/incidents"
    assert flashed(sara, "/supervisor/incidents").startswith("info:")
    run_due_jobs(services.db, services.engine)
    view = instance(services, retried.instance_id)
    assert [task.element_id for task in view.open_tasks] == ["decide"] and not view.incidents
    assert [e.actor for e in view.history if e.kind == "incident_resolved"] == ["sara"]
    post(sara, f"/supervisor/incidents/{first.id}/retry", {})
    assert "already resolved" in flashed(sara, "/supervisor/incidents")

    second = incidents[str(cancelled.instance_id)]
    post(sara, f"/supervisor/incidents/{second.id}/cancel", {"reason": "  "})
    assert "reason" in flashed(sara, "/supervisor/incidents")
    assert instance(services, cancelled.instance_id).status == "running"
    post(sara, f"/supervisor/incidents/{second.id}/cancel", {"reason": "Antrag zurückgezogen",
                                                             "back": f"/supervisor/cases/{cancelled.case_id}"})
    view = instance(services, cancelled.instance_id)
    assert view.status == "cancelled"
    assert [e.payload for e in view.history if e.kind == "cancelled"] == [{"reason": "Antrag zurückgezogen"}]
    detail = sara.get(f"/supervisor/cases/{cancelled.case_id}").get_data(as_text=True)
    assert "The process was cancelled." in detail and "Antrag zurückgezogen" in detail
    assert "No open incidents." in sara.get("/supervisor/incidents").get_data(as_text=True)


# --- roles -----------------------------------------------------------------------------------------------------

def test_only_supervisors_and_admins(services: Services, clock: FrozenClock, register: Register) -> None:
    prepare(services)
    opened = incident_case(services, clock)
    with services.db.unit_of_work() as uow:
        incident_id = list_incidents(uow, instance_id=opened.instance_id)[0].id
    clerk = page_client(services, "carla", roles=("caseworker",), units=("unit-a",), groups=("clerks",))
    for path in ("/supervisor/cases", f"/supervisor/cases/{opened.case_id}", "/supervisor/incidents"):
        assert clerk.get(path).status_code == 403, path
    token = csrf_from(clerk.get("/inbox").get_data(as_text=True))
    for path in ("/supervisor/tasks/actions", f"/supervisor/incidents/{incident_id}/retry",
                 f"/supervisor/incidents/{incident_id}/cancel"):
        assert clerk.post(path, data={"csrf_token": token, "reason": "x", "task": "x"}).status_code == 403, path
    sara = supervisor(services)
    assert sara.post(f"/supervisor/incidents/{incident_id}/retry").status_code == 400  # no CSRF token
    anonymous = supervisor(services).application.test_client()
    assert anonymous.get("/supervisor/cases").status_code == 302
    admin = page_client(services, "ada", roles=("admin",), locale="en")
    assert opened.reference in admin.get("/supervisor/cases").get_data(as_text=True)
    assert "register unreachable" in admin.get("/supervisor/incidents").get_data(as_text=True)
