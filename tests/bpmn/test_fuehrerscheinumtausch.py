"""Führerscheinumtausch (bpmn/fuehrerscheinumtausch/) driven end to end through akte's services.

Every path of the procedure: collection notice after the old licence arrives, reminder after 14 days,
escalation after six weeks (received after all, declared lost, discontinued), payment declined (collected
again, rejected), rejection in the formal check, the deadline groups of the DMN with the overdue flag, and
refused input (a form value, a message for an unknown licence number, the wrong group).
"""

from __future__ import annotations

import io
import struct
import uuid
import zlib
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from core.bootstrap import Services
from core.clock import FrozenClock
from core.errors import Forbidden, NotFound, ValidationFailed
from engine.models import Job, MessageSubscription
from engine.views import InstanceView
from records.documents import Upload, add_document
from records.views import CaseView, DocumentView
from tests.bpmn.driver import (
    OFFICE,
    advance,
    case,
    case_file,
    complete_as,
    deploy_procedure,
    documents,
    instance,
    message,
    open_case,
    open_tasks,
    pdf_text,
    person,
    the_task,
    titles,
)

PROCEDURE = "fuehrerscheinumtausch"
RECEIVED = "alter_fuehrerschein_eingegangen"
FRONT_DESK = person("b.weber", "buergerbuero")
LICENCE_OFFICE = person("f.schmidt", "fuehrerscheinstelle")
RECEIVED_ON = "2026-01-05"  # the FrozenClock's day


def png(width: int = 2, height: int = 2) -> bytes:
    """A tiny valid grey PNG (stands in for the photo and the signature scan)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@pytest.fixture
def deployed(services: Services) -> Services:
    result = deploy_procedure(services, PROCEDURE)
    assert [p.key for p in result.processes] == [PROCEDURE] and result.warnings == []
    return services


def upload(services: Services, case_view: CaseView, filename: str, title: str) -> DocumentView:
    with services.db.unit_of_work() as uow:
        view = add_document(uow, services.records, OFFICE, Upload(io.BytesIO(png()), filename, "image/png"),
                            case_id=case_view.id, title=title)
        uow.commit()
    return view


def application(**changes: Any) -> dict[str, Any]:
    """What a citizen enters in the online form (photo and signature are added per case)."""
    data: dict[str, Any] = {
        "name": "Mustermann", "vorname": "Erika", "geburtsdatum": "1961-05-17", "geburtsort": "Krefeld",
        "strasse": "Rheinstraße 12", "plz": "47798", "ort": "Krefeld", "email": "erika@example.org",
        "fuehrerschein_nummer": "KR-1979-4711", "ausstellende_behoerde": "Stadt Krefeld",
        "fuehrerscheinklassen": ["3", "1b"], "einwilligung": True,
    }
    data.update(changes)
    return data


def start(services: Services, *, eingangsdatum: str | None = RECEIVED_ON) -> tuple[CaseView, InstanceView]:
    """A new case of the procedure, as the portal opens it; its first task is "Antrag erfassen"."""
    data = {"eingangsdatum": eingangsdatum} if eingangsdatum is not None else {}
    case_view, view = open_case(services, PROCEDURE, plan_code="36.30", unit="fuehrerscheinstelle",
                                applicant={"kind": "person", "name": "Erika Mustermann"},
                                title="Umtausch des Führerscheins", data=data)
    assert [t.element_id for t in view.open_tasks] == ["Task_antrag_erfassen"]
    return case_view, view


def applied(services: Services, *, eingangsdatum: str | None = RECEIVED_ON, **changes: Any
            ) -> tuple[CaseView, InstanceView]:
    """A case whose application was captured with photo and signature; the fee is collected (or declined)."""
    case_view, view = start(services, eingangsdatum=eingangsdatum)
    photo = upload(services, case_view, "lichtbild.png", "Lichtbild")
    signature = upload(services, case_view, "unterschrift.png", "Unterschrift")
    task = the_task(services, view.id, "Task_antrag_erfassen")
    assert task.candidate_groups == ["buergerbuero"] and task.form_key == "fuehrerschein-antrag-erfassen.json"
    after = complete_as(services, FRONT_DESK, task.id,
                        application(lichtbild=str(photo.id), unterschrift=str(signature.id), **changes))
    return case_view, after


def checked(services: Services, **changes: Any) -> tuple[CaseView, InstanceView]:
    """A case past the formal check: the card is ordered and the process waits for the old licence."""
    case_view, view = applied(services, **changes)
    task = the_task(services, view.id, "Task_formalpruefung")
    after = complete_as(services, LICENCE_OFFICE, task.id, {"pruefergebnis": "bestellen"})
    assert after.status == "running" and after.open_tasks == []
    assert after.data["kartenbestellung"]["order_id"]
    return case_view, after


def letters(services: Services, case_id: object) -> list[DocumentView]:
    return [doc for doc in documents(services, case_id) if doc.kind == "letter"]


def the_letter(services: Services, case_id: object, title: str) -> str:
    """The text of the one letter titled `title` in the case."""
    found = [doc for doc in letters(services, case_id) if doc.title == title]
    assert len(found) == 1, f"letters: {titles(letters(services, case_id))}"
    assert found[0].versions[0].media_type == "application/pdf"
    return pdf_text(services, found[0].id)


def waiting(services: Services, instance_id: str) -> list[tuple[str, str]]:
    """What the instance waits for: (message name or "timer", element id), sorted."""
    with services.db.unit_of_work() as uow:
        key = uuid.UUID(instance_id)
        messages = uow.session.scalars(select(MessageSubscription).where(MessageSubscription.instance_id == key))
        jobs = uow.session.scalars(select(Job).where(Job.instance_id == key))
        return sorted([(m.message_name, m.element_id) for m in messages] + [(j.kind, j.element_id) for j in jobs])


def waits_for_old_licence(services: Services, instance_id: str) -> bool:
    """Waiting in the receive task, with the reminder (unless it fired) and escalation timers running."""
    found = waiting(services, instance_id)
    return (RECEIVED, "Task_alten_fuehrerschein_empfangen") in found and ("timer", "Boundary_eskalation") in found


def assert_closed(services: Services, case_view: CaseView, outcome: str) -> None:
    closed = case(services, case_view.id)
    assert (closed.status, closed.outcome) == ("closed", outcome)
    assert instance(services, str(case_view.process_instance_id)).status == "completed"


def test_happy_path_old_licence_arrives_and_the_new_one_is_ready_for_collection(
    deployed: Services, clock: FrozenClock
) -> None:
    services = deployed
    case_view, view = applied(services)
    data = view.data
    assert data["case_id"] == str(case_view.id) and data["applicant_name"] == "Erika Mustermann"
    assert data["gebuehr"] == pytest.approx(25.30)
    assert data["zahlung"]["status"] == "paid" and data["zahlung"]["amount"] == pytest.approx(25.30)
    assert (data["geburtsjahr"], data["fristgruppe"], data["frist"]) == (1961, "Geburtsjahr 1959 bis 1964",
                                                                          "2023-01-19")
    assert data["ueberfaellig"] is True and data["klassen_text"] == "3, 1b"
    check = the_task(services, view.id, "Task_formalpruefung")
    assert check.candidate_groups == ["fuehrerscheinstelle"] and check.name == "Formale Prüfung"
    with pytest.raises(Forbidden):
        complete_as(services, FRONT_DESK, check.id, {"pruefergebnis": "bestellen"})
    ordered = complete_as(services, LICENCE_OFFICE, check.id, {"pruefergebnis": "bestellen"})
    assert waits_for_old_licence(services, ordered.id)
    assert letters(services, case_view.id) == []

    with pytest.raises(NotFound):
        message(services, RECEIVED, {"fuehrerschein_nummer": "KR-0000-0000"})
    unchanged = instance(services, ordered.id)
    assert waits_for_old_licence(services, ordered.id) and unchanged.data == ordered.data
    assert letters(services, case_view.id) == [] and case(services, case_view.id).status != "closed"

    clock.advance(timedelta(days=3))
    result = message(services, RECEIVED, {"fuehrerschein_nummer": "KR-1979-4711"}, {"eingang_alt": "2026-01-08"})
    assert result.instance_ids == [ordered.id]
    assert_closed(services, case_view, "approved")
    done = instance(services, ordered.id)
    assert done.data["rueckgabe"] == "eingegangen" and done.data["eingang_alt"] == "2026-01-08"
    assert titles(letters(services, case_view.id)) == ["Abholbenachrichtigung"]
    text = the_letter(services, case_view.id, "Abholbenachrichtigung")
    assert "Ihr neuer Führerschein liegt zur Abholung bereit" in text
    assert case_view.reference_number in text and "Erika Mustermann" in text and "KR-1979-4711" in text
    assert "bei uns eingegangen" in text and "25,30 €" in text
    assert case_file(services, case_view.id).follow_up_date == date(2031, 1, 8)
    assert done.data["wiedervorlage"] == {"follow_up_date": "2031-01-08"}


def test_old_licence_sent_with_the_application_is_kept_until_the_card_is_ordered(deployed: Services) -> None:
    services = deployed
    case_view, view = applied(services)
    early = message(services, RECEIVED, {"fuehrerschein_nummer": "KR-1979-4711"})
    assert (early.outcome, early.instance_ids) == ("buffered", [view.id])
    task = the_task(services, view.id, "Task_formalpruefung")
    complete_as(services, LICENCE_OFFICE, task.id, {"pruefergebnis": "bestellen"})
    assert_closed(services, case_view, "approved")
    assert titles(letters(services, case_view.id)) == ["Abholbenachrichtigung"]
    assert waiting(services, view.id) == []


def test_reminder_after_14_days_then_the_old_licence_arrives(deployed: Services, clock: FrozenClock) -> None:
    services = deployed
    case_view, view = checked(services)
    advance(services, clock, timedelta(days=13, hours=23))
    assert letters(services, case_view.id) == []
    advance(services, clock, timedelta(hours=1, seconds=1))
    assert titles(letters(services, case_view.id)) == ["Erinnerung"]
    reminded = instance(services, view.id)
    assert waits_for_old_licence(services, view.id) and reminded.open_tasks == []
    text = the_letter(services, case_view.id, "Erinnerung")
    assert case_view.reference_number in text and "KR-1979-4711" in text and "Erika Mustermann" in text
    assert "Rheinstraße 12" in text  # the recipient block

    advance(services, clock, timedelta(days=13))  # day 27: no second reminder, no escalation yet
    assert titles(letters(services, case_view.id)) == ["Erinnerung"]
    assert waits_for_old_licence(services, view.id)
    message(services, RECEIVED, {"fuehrerschein_nummer": "KR-1979-4711"})
    assert_closed(services, case_view, "approved")
    assert sorted(titles(letters(services, case_view.id))) == ["Abholbenachrichtigung", "Erinnerung"]
    assert clock.now().date() == date(2026, 2, 1)
    assert case_file(services, case_view.id).follow_up_date == date(2031, 2, 1)  # five years from the decision


def test_escalation_after_six_weeks_lost_licence_or_discontinued(deployed: Services, clock: FrozenClock) -> None:
    services = deployed
    lost_case, lost = checked(services, fuehrerschein_nummer="KR-1980-0001")
    gone_case, gone = checked(services, fuehrerschein_nummer="KR-1980-0002")
    advance(services, clock, timedelta(days=42, seconds=1))
    tasks = {}
    for view in (lost, gone):
        [task] = open_tasks(services, view.id)
        assert (task.name, task.candidate_groups) == ("Rückgabe klären", ["fuehrerscheinstelle"])
        assert waiting(services, view.id) == []
        tasks[view.id] = task
    for case_view in (lost_case, gone_case):
        assert titles(letters(services, case_view.id)) == ["Erinnerung"]  # the reminder came first, on day 14

    with pytest.raises(ValidationFailed) as refused:
        complete_as(services, LICENCE_OFFICE, tasks[lost.id].id, {"rueckgabe": "vielleicht"})
    assert "rueckgabe" in refused.value.details
    complete_as(services, LICENCE_OFFICE, tasks[lost.id].id,
                {"rueckgabe": "verloren", "rueckgabe_vermerk": "Versicherung an Eides statt vom 15.02.2026"})
    assert_closed(services, lost_case, "approved")
    text = the_letter(services, lost_case.id, "Abholbenachrichtigung")
    assert "als verloren erklärt" in text and lost_case.reference_number in text

    complete_as(services, LICENCE_OFFICE, tasks[gone.id].id, {"rueckgabe": "abbrechen"})
    assert_closed(services, gone_case, "withdrawn")
    assert sorted(titles(letters(services, gone_case.id))) == ["Einstellung des Verfahrens", "Erinnerung"]
    text = the_letter(services, gone_case.id, "Einstellung des Verfahrens")
    assert "stellen das Verfahren deshalb ein" in text and gone_case.reference_number in text
    assert case_file(services, gone_case.id).follow_up_date is None


def test_escalation_then_old_licence_received_after_all(deployed: Services, clock: FrozenClock) -> None:
    services = deployed
    case_view, view = checked(services)
    advance(services, clock, timedelta(days=43))
    task = the_task(services, view.id, "Task_rueckgabe_klaeren")
    complete_as(services, LICENCE_OFFICE, task.id, {"rueckgabe": "eingegangen"})
    assert_closed(services, case_view, "approved")
    assert "bei uns eingegangen" in the_letter(services, case_view.id, "Abholbenachrichtigung")


def test_payment_declined_collected_again_or_rejected(deployed: Services) -> None:
    services = deployed
    retry_case, retry = applied(services, name="Abgelehnt", vorname="Max", fuehrerschein_nummer="KR-1990-0001")
    reject_case, reject = applied(services, name="Abgelehnt", vorname="Moritz", fuehrerschein_nummer="KR-1990-0002")
    for view in (retry, reject):
        [task] = view.open_tasks
        assert (task.name, task.candidate_groups) == ("Zahlung klären", ["buergerbuero"])
        assert view.data["error_code"] == "PAYMENT_DECLINED" and "zahlung" not in view.data

    task = the_task(services, retry.id, "Task_zahlung_klaeren")
    again = complete_as(services, FRONT_DESK, task.id, {"zahlung_entscheidung": "erneut", "zahler": "Abgelehnt Max"})
    assert [t.name for t in again.open_tasks] == ["Zahlung klären"]  # declined a second time
    task = the_task(services, retry.id, "Task_zahlung_klaeren")
    paid = complete_as(services, FRONT_DESK, task.id, {"zahlung_entscheidung": "erneut", "zahler": "Maria Muster"})
    assert [t.name for t in paid.open_tasks] == ["Formale Prüfung"]
    assert paid.data["zahlung"]["status"] == "paid"

    task = the_task(services, reject.id, "Task_zahlung_klaeren")
    complete_as(services, FRONT_DESK, task.id, {"zahlung_entscheidung": "ablehnen", "zahler": "Moritz Abgelehnt"})
    assert_closed(services, reject_case, "rejected")
    assert titles(letters(services, reject_case.id)) == ["Ablehnungsbescheid"]
    text = the_letter(services, reject_case.id, "Ablehnungsbescheid")
    assert "Gebühr von 25,30 €" in text and reject_case.reference_number in text and "Moritz Abgelehnt" in text
    assert letters(services, retry_case.id) == []


def test_formal_check_rejects_with_a_reason(deployed: Services) -> None:
    services = deployed
    case_view, view = applied(services)
    task = the_task(services, view.id, "Task_formalpruefung")
    with pytest.raises(ValidationFailed) as refused:
        complete_as(services, LICENCE_OFFICE, task.id, {"pruefergebnis": "ablehnen"})
    assert list(refused.value.details) == ["ablehnungsgrund"]
    reason = "Die Fahrerlaubnis wurde mit Urteil vom 03.03.2025 entzogen; ein Umtausch ist nicht möglich."
    done = complete_as(services, LICENCE_OFFICE, task.id, {"pruefergebnis": "ablehnen", "ablehnungsgrund": reason})
    assert_closed(services, case_view, "rejected")
    assert "kartenbestellung" not in done.data
    text = the_letter(services, case_view.id, "Ablehnungsbescheid")
    assert "entzogen; ein Umtausch ist nicht möglich" in text and case_view.reference_number in text


def test_deadline_groups_by_birth_year_and_overdue_flag(deployed: Services) -> None:
    services = deployed
    expected = [  # birth date, received on, deadline, overdue
        ("1952-12-31", "2026-01-05", "2033-01-19", False),
        ("1953-01-01", "2026-01-05", "2022-01-19", True),
        ("1958-12-31", "2022-01-19", "2022-01-19", False),  # on the last day: in time
        ("1964-06-30", "2023-01-20", "2023-01-19", True),  # one day late
        ("1965-01-01", "2023-06-01", "2024-01-19", False),
        ("1970-12-31", "2026-01-05", "2024-01-19", True),
        ("1971-01-01", "2024-12-01", "2025-01-19", False),
        ("2001-08-15", "2026-01-05", "2025-01-19", True),
    ]
    for birth, received, deadline, overdue in expected:
        _case, view = applied(services, geburtsdatum=birth, eingangsdatum=received)
        got = (view.data["geburtsjahr"], view.data["frist"], view.data["ueberfaellig"])
        assert got == (int(birth[:4]), deadline, overdue), birth
        assert [t.element_id for t in view.open_tasks] == ["Task_formalpruefung"]


def test_receipt_date_defaults_to_today(deployed: Services, clock: FrozenClock) -> None:
    clock.set(datetime(2026, 3, 9, 23, 30, tzinfo=UTC))  # already 10 March in Germany
    _case, view = applied(deployed, eingangsdatum=None, geburtsdatum="1950-01-01")
    assert view.data["eingangsdatum"] == "2026-03-10"  # the engine clock's day in the city, not the server's
    assert view.data["ueberfaellig"] is False


def test_invalid_application_is_refused_naming_the_field(deployed: Services) -> None:
    services = deployed
    case_view, view = start(services)
    task = the_task(services, view.id, "Task_antrag_erfassen")
    photo = upload(services, case_view, "lichtbild.png", "Lichtbild")
    complete_data = application(lichtbild=str(photo.id), unterschrift=str(photo.id))
    wrong: list[tuple[dict[str, Any], str]] = [
        ({"einwilligung": False}, "einwilligung"),
        ({"plz": "4779"}, "plz"),
        ({"fuehrerscheinklassen": []}, "fuehrerscheinklassen"),
        ({"fuehrerscheinklassen": ["Z"]}, "fuehrerscheinklassen.0"),
    ]
    for change, field in wrong:
        with pytest.raises(ValidationFailed) as refused:
            complete_as(services, FRONT_DESK, task.id, {**complete_data, **change})
        assert field in refused.value.details, refused.value.details
    missing = {k: v for k, v in complete_data.items() if k != "einwilligung"}
    with pytest.raises(ValidationFailed) as refused:
        complete_as(services, FRONT_DESK, task.id, missing)
    assert list(refused.value.details) == ["einwilligung"]
    still = instance(services, view.id)
    assert [t.element_id for t in still.open_tasks] == ["Task_antrag_erfassen"] and "geburtsjahr" not in still.data
