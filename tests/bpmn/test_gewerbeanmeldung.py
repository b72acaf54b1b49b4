"""Gewerbeanmeldung (bpmn/gewerbeanmeldung/) driven end to end through akte's services.

Every path of the procedure: a permit-free registration (certificate, notifications to the tax office, the
chamber chosen by the activity and the statistics office, plus occupational safety and accident insurance
when there are employees), the permit path (proof uploaded and accepted, rejected, reminder after 14 days,
deadline after six weeks), plausibility findings (clarified and confirmed, refused), the permit decision per
activity, the four-eyes principle, and refused input naming the field.
"""

from __future__ import annotations

import io
import uuid
from datetime import timedelta
from typing import Any

import pytest

from core.bootstrap import Services
from core.clock import FrozenClock
from core.errors import Forbidden, ValidationFailed
from engine.instances import instance_state
from engine.views import InstanceView
from records.documents import Upload, add_document
from records.views import CaseView, DocumentView
from tests.bpmn.driver import (
    OFFICE,
    advance,
    case,
    complete_as,
    deploy_procedure,
    documents,
    instance,
    open_case,
    open_tasks,
    pdf_text,
    person,
    the_task,
    titles,
)

PROCEDURE = "gewerbeanmeldung"
FRONT_DESK = person("b.weber", "buergerbuero")
TRADE_OFFICE = person("g.hoffmann", "gewerbeamt")
BOTH_DESKS = person("k.klein", "buergerbuero", "gewerbeamt")
TODAY = "2026-01-05"  # the FrozenClock's day
CERTIFICATE = "Gewerbeanmeldebestätigung"
REJECTION = "Zurückweisung der Gewerbeanzeige"
REMINDER = "Erinnerung: Nachweis der Erlaubnis"
NOTICE = "Mitteilung über eine Gewerbeanmeldung: "
TAX_OFFICE = NOTICE + "Finanzamt Krefeld"
IHK = NOTICE + "IHK Mittlerer Niederrhein"
HWK = NOTICE + "Handwerkskammer Düsseldorf"
STATISTICS = NOTICE + "Information und Technik Nordrhein-Westfalen (IT.NRW)"
SAFETY = NOTICE + "Bezirksregierung Düsseldorf, Dezernat 55 – Arbeitsschutz"
INSURANCE = NOTICE + "Deutsche Gesetzliche Unfallversicherung e. V."


@pytest.fixture
def deployed(services: Services) -> Services:
    result = deploy_procedure(services, PROCEDURE)
    assert [p.key for p in result.processes] == [PROCEDURE] and result.warnings == []
    return services


def registration(**changes: Any) -> dict[str, Any]:
    """A sole trader's bicycle shop as the front desk records it from form GewA 1."""
    data: dict[str, Any] = {
        "eingangsdatum": TODAY, "anlass": "neuerrichtung",
        "betrieb_name": "Radhaus Mustermann", "rechtsform": "einzelunternehmen",
        "personen": [{"name": "Mustermann", "vorname": "Erika", "geburtsdatum": "1985-03-14", "geburtsort": "Krefeld",
                      "staatsangehoerigkeit": "deutsch", "rolle": "inhaber"}],
        "taetigkeit": "Einzelhandel mit Fahrrädern, Fahrradteilen und Zubehör", "taetigkeit_kategorie": "einzelhandel",
        "alkohol_ausschank": False, "handwerk_zulassungspflichtig": False,
        "betrieb_strasse": "Hochstraße 91", "betrieb_plz": "47798", "betrieb_ort": "Krefeld",
        "betriebsbeginn": "2026-01-15", "beschaeftigte": 0, "email": "erika@radhaus.example",
    }
    data.update(changes)
    return data


def start(services: Services) -> tuple[CaseView, InstanceView]:
    case_view, view = open_case(services, PROCEDURE, plan_code="32.20", unit="gewerbeamt",
                                applicant={"kind": "person", "name": "Erika Mustermann"},
                                title="Gewerbeanmeldung", data={})
    assert [t.element_id for t in view.open_tasks] == ["Task_erfassen"]
    return case_view, view


def registered(services: Services, **changes: Any) -> tuple[CaseView, InstanceView]:
    """A case whose registration the front desk has recorded; the process has run until it waits."""
    case_view, view = start(services)
    task = the_task(services, view.id, "Task_erfassen")
    assert task.candidate_groups == ["buergerbuero"] and task.form_key == "gewerbe-anmeldung-erfassen.json"
    return case_view, complete_as(services, FRONT_DESK, task.id, registration(**changes))


def upload_permit(services: Services, case_view: CaseView) -> DocumentView:
    with services.db.unit_of_work() as uow:
        view = add_document(uow, services.records, OFFICE,
                            Upload(io.BytesIO(b"%PDF-1.4 Erlaubnisurkunde"), "erlaubnis.pdf", "application/pdf"),
                            case_id=case_view.id, title="Erlaubnis (Kopie)")
        uow.commit()
    return view


def permit_proof(services: Services, case_view: CaseView, view: InstanceView) -> InstanceView:
    """The front desk uploads the copy of the permit; the process waits for the trade office's review."""
    task = the_task(services, view.id, "Task_erlaubnis_nachweisen")
    assert task.candidate_groups == ["buergerbuero"] and task.form_key == "gewerbe-erlaubnis-nachweisen.json"
    proof = upload_permit(services, case_view)
    after = complete_as(services, FRONT_DESK, task.id, {
        "erlaubnis_nachweis": str(proof.id), "erlaubnis_behoerde": "IHK Mittlerer Niederrhein",
        "erlaubnis_datum": "2025-12-01", "erlaubnis_aktenzeichen": "34a-2025-117"})
    assert [t.element_id for t in after.open_tasks] == ["Task_erlaubnis_pruefen"]
    return after


def by_title(docs: list[DocumentView], title: str) -> DocumentView:
    [found] = [doc for doc in docs if doc.title == title]
    return found


def assert_closed(services: Services, case_view: CaseView, outcome: str) -> None:
    closed = case(services, case_view.id)
    assert (closed.status, closed.outcome) == ("closed", outcome)
    assert instance(services, str(case_view.process_instance_id)).status == "completed"


def test_permit_free_registration_certificate_notifications_and_closed_case(deployed: Services) -> None:
    case_view, view = registered(deployed)
    assert view.status == "completed" and view.open_tasks == []
    assert view.data["plausibel"] is True and view.data["plausibilitaet_hinweise"] == []
    assert (view.data["erlaubnis_erforderlich"], view.data["erlaubnis_art"]) == (False, "")
    assert [r["stelle"] for r in view.data["mitteilung_empfaenger"]] == [
        "Finanzamt", "Industrie- und Handelskammer", "Statistisches Landesamt"]
    docs = documents(deployed, case_view.id)
    assert sorted(titles(docs)) == sorted([CERTIFICATE, TAX_OFFICE, IHK, STATISTICS])
    assert {doc.kind for doc in docs} == {"letter"}
    certificate = pdf_text(deployed, by_title(docs, CERTIFICATE).id)
    assert case_view.reference_number in certificate and "§ 15 Abs. 1 GewO" in certificate
    assert "Erika Mustermann Radhaus Mustermann Hochstraße 91 47798 Krefeld" in certificate
    assert "15.01.2026" in certificate and "Einzelhandel mit Fahrrädern" in certificate
    assert "Erlaubnis" not in certificate.split("Bitte beachten")[0]
    for title, address in ((TAX_OFFICE, "Finanzamt Krefeld Grenzstraße 100 47799 Krefeld"),
                           (IHK, "IHK Mittlerer Niederrhein Nordwall 39 47798 Krefeld"),
                           (STATISTICS, "Mauerstraße 51 40476 Düsseldorf")):
        notice = pdf_text(deployed, by_title(docs, title).id)
        assert address in notice and "Radhaus Mustermann" in notice and case_view.reference_number in notice
        assert "Erika Mustermann 14.03.1985 deutsch Inhaber/in" in notice
    assert_closed(deployed, case_view, "registered")
    with deployed.db.unit_of_work() as uow:
        assert instance_state(uow, uuid.UUID(view.id)) == ("gewerbeanmeldung", "completed", {
            "betrieb_name": "Radhaus Mustermann", "personen_namen": "Erika Mustermann",
            "taetigkeit": "Einzelhandel mit Fahrrädern, Fahrradteilen und Zubehör"})


def test_craft_business_with_employees_notifies_crafts_chamber_safety_and_insurance(deployed: Services) -> None:
    case_view, view = registered(
        deployed, betrieb_name="Tischlerei Holzwurm GmbH", rechtsform="gmbh", registergericht="Amtsgericht Krefeld",
        registernummer="HRB 17420", taetigkeit="Tischlerei: Möbel- und Innenausbau", taetigkeit_kategorie="handwerk",
        beschaeftigte=4, personen=[{"name": "Holz", "vorname": "Hanna", "geburtsdatum": "1979-07-01",
                                    "staatsangehoerigkeit": "deutsch", "rolle": "geschaeftsfuehrer"}])
    assert view.status == "completed" and view.data["erlaubnis_erforderlich"] is False
    docs = documents(deployed, case_view.id)
    assert sorted(titles(docs)) == sorted([CERTIFICATE, TAX_OFFICE, HWK, STATISTICS, SAFETY, INSURANCE])
    chamber = pdf_text(deployed, by_title(docs, HWK).id)
    assert "Georg-Schulhoff-Platz 1 40221 Düsseldorf" in chamber and "Tischlerei Holzwurm GmbH" in chamber
    certificate = pdf_text(deployed, by_title(docs, CERTIFICATE).id)
    assert "Tischlerei Holzwurm GmbH Hochstraße 91" in certificate  # a company: no owner line
    assert "Amtsgericht Krefeld HRB 17420" in certificate and "Gesellschaft mit beschränkter Haftung" in certificate
    assert_closed(deployed, case_view, "registered")


def test_permit_accepted_by_another_person_then_certificate(deployed: Services, clock: FrozenClock) -> None:
    case_view, view = start(deployed)
    task = the_task(deployed, view.id, "Task_erfassen")
    view = complete_as(deployed, BOTH_DESKS, task.id, registration(
        betrieb_name="Wachdienst Nord", taetigkeit="Bewachung von Baustellen und Veranstaltungen",
        taetigkeit_kategorie="bewachung"))
    assert view.data["erlaubnis_erforderlich"] is True
    assert view.data["erlaubnis_art"] == "Bewachungserlaubnis nach § 34a GewO"
    assert documents(deployed, case_view.id) == []
    view = permit_proof(deployed, case_view, view)
    review = the_task(deployed, view.id, "Task_erlaubnis_pruefen")
    assert review.candidate_groups == ["gewerbeamt"] and review.form_key == "gewerbe-erlaubnis-pruefen.json"
    with pytest.raises(Forbidden, match=r"four-eyes principle: k\.klein completed"):
        complete_as(deployed, BOTH_DESKS, review.id, {"entscheidung": "anerkannt"})
    after = complete_as(deployed, TRADE_OFFICE, review.id, {"entscheidung": "anerkannt",
                                                            "pruefvermerk": "Original eingesehen"})
    assert after.status == "completed"
    docs = documents(deployed, case_view.id)
    assert sorted(titles(docs)) == sorted(["Erlaubnis (Kopie)", CERTIFICATE, TAX_OFFICE, IHK, STATISTICS])
    certificate = pdf_text(deployed, by_title(docs, CERTIFICATE).id)
    assert "Bewachungserlaubnis nach § 34a GewO" in certificate and "34a-2025-117" in certificate
    assert "ausgestellt am 01.12.2025" in certificate
    assert_closed(deployed, case_view, "registered")
    advance(deployed, clock, timedelta(days=50))  # the reminder and the deadline went with the task
    assert REMINDER not in titles(documents(deployed, case_view.id))


def test_permit_rejected_rejection_letter_and_case_closed(deployed: Services) -> None:
    case_view, view = registered(deployed, betrieb_name="Immobilien Schnell", taetigkeit_kategorie="makler",
                                 taetigkeit="Vermittlung von Wohnungen und Gewerbeflächen")
    assert view.data["erlaubnis_art"] == "Erlaubnis nach § 34c GewO (Makler, Bauträger, Baubetreuer)"
    view = permit_proof(deployed, case_view, view)
    review = the_task(deployed, view.id, "Task_erlaubnis_pruefen")
    with pytest.raises(ValidationFailed) as refused:
        complete_as(deployed, TRADE_OFFICE, review.id, {"entscheidung": "abgelehnt"})
    assert set(refused.value.details) == {"ablehnungsgrund"}
    reason = "Die vorgelegte Erlaubnis ist auf eine andere Person ausgestellt."
    after = complete_as(deployed, TRADE_OFFICE, review.id, {"entscheidung": "abgelehnt", "ablehnungsgrund": reason})
    assert after.status == "completed"
    docs = documents(deployed, case_view.id)
    assert sorted(titles(docs)) == sorted(["Erlaubnis (Kopie)", REJECTION])
    letter = pdf_text(deployed, by_title(docs, REJECTION).id)
    assert case_view.reference_number in letter and "Immobilien Schnell" in letter and reason in letter
    assert "§ 34c GewO" in letter and "§ 15 Abs. 2 GewO" in letter and "Verwaltungsgericht Düsseldorf" in letter
    assert "trotz Erinnerung" not in letter
    assert_closed(deployed, case_view, "rejected")


def test_reminder_after_two_weeks_then_trade_office_decides_after_six(deployed: Services, clock: FrozenClock) -> None:
    case_view, view = registered(deployed, betrieb_name="Versicherungsbüro Klug",
                                 taetigkeit_kategorie="versicherungsvermittlung", taetigkeit="Versicherungsmakler")
    proof = the_task(deployed, view.id, "Task_erlaubnis_nachweisen")
    assert proof.due is not None and proof.due.startswith("2026-02-16")  # six weeks
    advance(deployed, clock, timedelta(days=13))
    assert documents(deployed, case_view.id) == []
    advance(deployed, clock, timedelta(days=1, minutes=1))
    [reminder] = documents(deployed, case_view.id)
    assert reminder.title == REMINDER
    text = pdf_text(deployed, reminder.id)
    assert case_view.reference_number in text and "Versicherungsbüro Klug" in text
    assert "Erlaubnis als Versicherungsvermittler nach § 34d GewO" in text and "19.01.2026" in text
    assert [t.element_id for t in open_tasks(deployed, view.id)] == ["Task_erlaubnis_nachweisen"]
    advance(deployed, clock, timedelta(days=28))
    review = the_task(deployed, view.id, "Task_erlaubnis_pruefen")
    assert [t.element_id for t in open_tasks(deployed, view.id)] == ["Task_erlaubnis_pruefen"]
    assert instance(deployed, view.id).data["erlaubnis_nachweis_fehlt"] is True
    after = complete_as(deployed, TRADE_OFFICE, review.id, {
        "entscheidung": "abgelehnt", "ablehnungsgrund": "Die Erlaubnis nach § 34d GewO wurde nicht nachgewiesen."})
    assert after.status == "completed"
    docs = documents(deployed, case_view.id)
    assert sorted(titles(docs)) == sorted([REMINDER, REJECTION])
    assert "trotz Erinnerung nicht eingegangen" in pdf_text(deployed, by_title(docs, REJECTION).id)
    assert_closed(deployed, case_view, "rejected")


def test_plausibility_findings_clarified_then_confirmed(deployed: Services) -> None:
    case_view, view = start(deployed)
    task = the_task(deployed, view.id, "Task_erfassen")
    view = complete_as(deployed, BOTH_DESKS, task.id, registration(
        betriebsbeginn="2025-09-01",
        personen=[{"name": "Mustermann", "vorname": "Max", "geburtsdatum": "2008-06-30",
                   "staatsangehoerigkeit": "deutsch", "rolle": "inhaber"}]))
    assert view.data["plausibel"] is False
    findings = view.data["plausibilitaet_hinweise"]
    assert len(findings) == 2
    assert findings[0].startswith("Verspätete Anzeige: Die Tätigkeit hat am 01.09.2025 begonnen")
    assert "Max Mustermann ist bei Beginn der Tätigkeit minderjährig" in findings[1]
    clarify = the_task(deployed, view.id, "Task_hinweise_klaeren")
    assert clarify.candidate_groups == ["gewerbeamt"] and clarify.form_key == "gewerbe-hinweise-klaeren.json"
    with pytest.raises(Forbidden, match="four-eyes principle"):
        complete_as(deployed, BOTH_DESKS, clarify.id, {"klaerung": "fortfahren", "klaerung_vermerk": "passt"})
    after = complete_as(deployed, TRADE_OFFICE, clarify.id, {
        "klaerung": "fortfahren",
        "klaerung_vermerk": "Ermächtigung des Familiengerichts liegt vor; Verwarnung an die Bußgeldstelle."})
    assert after.status == "completed"
    assert CERTIFICATE in titles(documents(deployed, case_view.id))
    assert_closed(deployed, case_view, "registered")


def test_plausibility_findings_lead_to_refusal(deployed: Services) -> None:
    case_view, view = registered(deployed, betrieb_name="Holzwurm UG (haftungsbeschränkt)", rechtsform="ug",
                                 personen=[{"name": "Holz", "vorname": "Hanna", "geburtsdatum": "1979-07-01",
                                            "staatsangehoerigkeit": "deutsch", "rolle": "gesellschafter"}])
    assert view.data["plausibilitaet_hinweise"] == [
        "Juristische Person: Es ist mindestens eine gesetzliche Vertreterin bzw. ein Vertreter "
        "(Geschäftsführung, Vorstand) anzugeben.",
        "Registereintrag fehlt: Handelsregisterauszug bzw. bei Gesellschaften in Gründung den "
        "Gesellschaftsvertrag anfordern."]
    clarify = the_task(deployed, view.id, "Task_hinweise_klaeren")
    with pytest.raises(ValidationFailed) as refused:
        complete_as(deployed, TRADE_OFFICE, clarify.id, {"klaerung": "ablehnen", "klaerung_vermerk": "Rückfrage"})
    assert set(refused.value.details) == {"ablehnungsgrund"}
    reason = "Die Gesellschaft ist nicht im Handelsregister eingetragen und hat keine Geschäftsführung benannt."
    after = complete_as(deployed, TRADE_OFFICE, clarify.id, {
        "klaerung": "ablehnen", "klaerung_vermerk": "Keine Unterlagen trotz Rückfrage", "ablehnungsgrund": reason})
    assert after.status == "completed"
    [letter] = documents(deployed, case_view.id)
    assert letter.title == REJECTION
    text = pdf_text(deployed, letter.id)
    assert reason in text and "Holzwurm UG (haftungsbeschränkt)" in text and case_view.reference_number in text
    assert "§ 15 Abs. 2 GewO" not in text  # no permit was involved
    assert_closed(deployed, case_view, "rejected")


@pytest.mark.parametrize(("changes", "expected"), [
    ({"taetigkeit_kategorie": "einzelhandel"}, (False, "")),
    ({"taetigkeit_kategorie": "grosshandel"}, (False, "")),
    ({"taetigkeit_kategorie": "dienstleistung"}, (False, "")),
    ({"taetigkeit_kategorie": "sonstiges"}, (False, "")),
    ({"taetigkeit_kategorie": "gastronomie"}, (False, "")),
    ({"taetigkeit_kategorie": "gastronomie", "alkohol_ausschank": True},
     (True, "Gaststättenerlaubnis nach § 2 GastG (Ausschank alkoholischer Getränke)")),
    ({"taetigkeit_kategorie": "handwerk"}, (False, "")),
    ({"taetigkeit_kategorie": "handwerk", "handwerk_zulassungspflichtig": True},
     (True, "Eintragung in die Handwerksrolle nach § 1 HwO")),
    ({"taetigkeit_kategorie": "einzelhandel", "alkohol_ausschank": True, "handwerk_zulassungspflichtig": True},
     (False, "")),
    ({"taetigkeit_kategorie": "bewachung"}, (True, "Bewachungserlaubnis nach § 34a GewO")),
    ({"taetigkeit_kategorie": "makler"}, (True, "Erlaubnis nach § 34c GewO (Makler, Bauträger, Baubetreuer)")),
    ({"taetigkeit_kategorie": "versicherungsvermittlung"},
     (True, "Erlaubnis als Versicherungsvermittler nach § 34d GewO")),
    ({"taetigkeit_kategorie": "finanzanlagen"}, (True, "Erlaubnis als Finanzanlagenvermittler nach § 34f GewO")),
    ({"taetigkeit_kategorie": "reisegewerbe"}, (True, "Reisegewerbekarte nach § 55 GewO")),
])
def test_permit_decision_per_activity(deployed: Services, changes: dict[str, Any], expected: tuple[bool, str]
                                      ) -> None:
    """The DMN `erlaubnispflicht` per activity. A late start date stops each case at the clarification task
    (the decision is taken before), which keeps this quick: the routing itself is driven by the tests above."""
    _case_view, view = registered(deployed, betriebsbeginn="2025-06-30", **changes)
    assert (view.data["erlaubnis_erforderlich"], view.data["erlaubnis_art"]) == expected
    assert [t.element_id for t in view.open_tasks] == ["Task_hinweise_klaeren"]


@pytest.mark.parametrize(("changes", "field"), [
    ({"personen": []}, "personen"),
    ({"betriebsbeginn": "31.01.2026"}, "betriebsbeginn"),
    ({"betriebsbeginn": "2026-13-01"}, "betriebsbeginn"),
    ({"betrieb_plz": "4779"}, "betrieb_plz"),
    ({"personen": [{"name": "Mustermann", "vorname": "Erika", "staatsangehoerigkeit": "deutsch",
                    "rolle": "inhaber"}]}, "personen.0.geburtsdatum"),
    ({"taetigkeit_kategorie": "schwarzarbeit"}, "taetigkeit_kategorie"),
    ({"rechtsform": None}, "rechtsform"),
])
def test_invalid_registration_refused_naming_the_field(deployed: Services, changes: dict[str, Any], field: str
                                                       ) -> None:
    _case_view, view = start(deployed)
    task = the_task(deployed, view.id, "Task_erfassen")
    with pytest.raises(ValidationFailed) as refused:
        complete_as(deployed, FRONT_DESK, task.id, registration(**changes))
    assert set(refused.value.details) == {field}
    assert [t.element_id for t in open_tasks(deployed, view.id)] == ["Task_erfassen"]
    assert "betrieb_name" not in instance(deployed, view.id).data


def test_impossible_calendar_date_is_refused_naming_the_field(deployed: Services) -> None:
    """2026-02-30 matches the form's pattern but is no date: the form's `format: date` refuses it."""
    _case_view, view = start(deployed)
    task = the_task(deployed, view.id, "Task_erfassen")
    with pytest.raises(ValidationFailed) as refused:
        complete_as(deployed, FRONT_DESK, task.id, registration(betriebsbeginn="2026-02-30"))
    assert set(refused.value.details) == {"betriebsbeginn"}
    the_task(deployed, view.id, "Task_erfassen")  # still open, nothing saved
