"""Rechnungseingang (bpmn/rechnungseingang/) driven end to end through akte's services.

Every path of the procedure: an e-invoice below 5,000 € approved once and paid; larger invoices approved a second
time by the head of department or the Kämmerei; the four-eyes principle refusing the first approver (and the
person who captured the invoice); rejection at either approval with a letter to the supplier; a paper invoice
captured by hand; an e-invoice without payment data completed by hand; a credit note that is not paid; the
approval rule at its boundaries; refused form input naming the field; and a real XRechnung through the intake.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core.bootstrap import Services
from core.clock import CITY_TIMEZONE, FrozenClock
from core.errors import Forbidden, ValidationFailed
from engine.actors import TaskActor
from engine.instances import instance_state
from engine.tasks import complete_task
from engine.views import InstanceView
from intake.routing import import_routes, parse_routes_csv
from records.files import LOCAL_TIMEZONE
from records.views import CaseView, DocumentView
from tests.bpmn.driver import (
    case,
    claim_as,
    complete_as,
    deploy_procedure,
    document_bytes,
    documents,
    instance,
    open_case,
    open_tasks,
    pdf_text,
    person,
    the_task,
)
from tests.intake_helpers import intake_services, item, process_all, receive_path

PROCEDURE = "rechnungseingang"
GROUP = "rechnungen-32"  # the ordering unit's group, as the Leitweg-ID routing names it
ORDERING = person("s.schulz", GROUP)
HEAD = person("a.becker", "abteilungsleitung")
TREASURY = person("k.fischer", "kaemmerei")
PAYABLES = person("m.kraus", "kreditoren")
BOTH_GROUPS = person("d.vogel", GROUP, "abteilungsleitung", "kaemmerei")
PAYABLES_AND_ORDERING = person("j.lang", "kreditoren", GROUP)
SELLER = "Bürobedarf Schmitz GmbH"
NUMBER = "R-2026-0815"
CAPTURE, FACTUAL, SECOND = "Task_rechnung_erfassen", "Task_sachlich_richtig", "Task_zweitfreigabe"
NOW = FrozenClock().now()  # the moment every test starts at
TODAY = NOW.astimezone(LOCAL_TIMEZONE).date()


@pytest.fixture
def deployed(services: Services) -> Services:
    result = deploy_procedure(services, PROCEDURE)
    assert [p.key for p in result.processes] == [PROCEDURE] and result.warnings == []
    return services


def invoice(payable: str = "336.77", **changes: Any) -> dict[str, Any]:
    """An accepted XRechnung as intake hands it over (`Invoice.to_json()`: ISO dates, amounts as decimal text)."""
    data: dict[str, Any] = {
        "number": NUMBER, "issue_date": "2026-01-02", "type_code": "380", "currency": "EUR",
        "due_date": "2026-02-04", "buyer_reference": "04011000-12345-03", "order_reference": "B-32-117",
        "specification": "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0",
        "seller": {"name": SELLER, "vat_id": "DE123456789", "street": "Rheinstraße 12", "city": "Krefeld",
                   "postcode": "47799", "country": "DE"},
        "buyer": {"name": "Stadt Krefeld", "vat_id": None, "street": None, "city": "Krefeld", "postcode": None,
                  "country": "DE"},
        "iban": "DE89 3704 0044 0532 0130 00",
        "lines": [{"id": "1", "description": "Kopierpapier A4, 80 g", "quantity": "50", "unit_code": "H87",
                   "unit_price": "5.66", "net_amount": "283.00"}],
        "vat": [{"category": "S", "rate": "19", "taxable": "283.00", "tax": "53.77"}],
        "net_total": "283.00", "tax_exclusive": "283.00", "tax_inclusive": payable, "payable": payable,
        "is_credit_note": False,
    }
    data.update(changes)
    return data


def received(services: Services, bill: dict[str, Any] | None) -> tuple[CaseView, InstanceView]:
    """A case in unit 32's accounts-payable file; with `bill`, started as intake starts it for an e-invoice."""
    start: dict[str, Any] = {}
    if bill is not None:
        start.update(invoice=bill, unit="32", candidate_group=GROUP,
                     routing={"unit": "32", "candidate_group": GROUP, "routed_by": "route",
                              "leitweg_id": bill.get("buyer_reference")})
    return open_case(services, PROCEDURE, plan_code="20.30", unit="32",
                     applicant={"kind": "organisation", "name": SELLER}, title=f"Rechnung {NUMBER} – {SELLER}",
                     data=start)


def approve(name: str, **more: Any) -> dict[str, Any]:
    return {"sachlich_entscheidung": "freigeben", "sachlich_name": name, **more}


def approve_second(name: str) -> dict[str, Any]:
    return {"zweit_entscheidung": "freigeben", "zweit_name": name}


def by_title(docs: list[DocumentView], prefix: str) -> DocumentView:
    found = [doc for doc in docs if doc.title.startswith(prefix)]
    assert len(found) == 1, [doc.title for doc in docs]
    return found[0]


def payment_order(services: Services, case_id: object) -> dict[str, Any]:
    order = by_title(documents(services, case_id), "Zahlungsanordnung")
    assert order.kind == "payment_order"
    parsed: dict[str, Any] = json.loads(document_bytes(services, order.id))
    return parsed


def due(moment: str | None) -> datetime:
    assert moment is not None
    return datetime.fromisoformat(moment)


def due_day(moment: str | None) -> date:
    """The day a task is due (dates without a time are due at its end, in the city's time zone)."""
    local = due(moment).astimezone(CITY_TIMEZONE)
    assert local.time().isoformat() == "23:59:59"
    return local.date()


def test_a_small_e_invoice_is_approved_once_and_the_payment_ordered(deployed: Services) -> None:
    filed, started = received(deployed, invoice())
    data = started.data
    assert (data["rechnungsnummer"], data["lieferant"], data["betrag"], data["waehrung"]) == (
        NUMBER, SELLER, 336.77, "EUR")
    assert (data["iban"], data["faellig_am"], data["bestellnummer"], data["leitweg_id"]) == (
        "DE89370400440532013000", "2026-02-04", "B-32-117", "04011000-12345-03")
    assert data["empfaenger"] == f"{SELLER}\nRheinstraße 12\n47799 Krefeld"
    assert (data["zweite_freigabe"], data["freigabe_gruppe"]) == (False, None)
    with deployed.db.unit_of_work() as uow:
        assert instance_state(uow, filed.process_instance_id) == (  # type: ignore[arg-type]
            PROCEDURE, "running", {"rechnungsnummer": NUMBER, "lieferant": SELLER})

    [task] = open_tasks(deployed, started.id)
    assert (task.element_id, task.name, task.candidate_groups) == (FACTUAL, "Sachlich richtig zeichnen", [GROUP])
    assert due_day(task.due) == TODAY + timedelta(days=5)  # the invoice is due much later
    done = complete_as(deployed, ORDERING, task.id, approve("Sabine Schulz", kostenstelle="3210"))

    assert done.status == "completed" and open_tasks(deployed, started.id) == []
    assert done.data["zahlungsanordnung"]["status"] == "ordered"
    order = payment_order(deployed, filed.id)
    assert order["payment_order_id"] == done.data["zahlungsanordnung"]["payment_order_id"]
    assert (order["invoice_number"], order["amount"], order["currency"], order["iban"], order["creditor"]) == (
        NUMBER, "336.77", "EUR", "DE89370400440532013000", SELLER)
    assert (order["due_date"], order["approved_by"]) == ("2026-02-04", ["Sabine Schulz"])
    closed = case(deployed, filed.id)
    assert (closed.outcome, closed.closed_at is not None) == ("paid", True)
    assert not any(doc.kind == "letter" for doc in documents(deployed, filed.id))


@pytest.mark.parametrize(("amount", "group", "approver"), [("12500.00", "abteilungsleitung", HEAD),
                                                            ("48000.00", "kaemmerei", TREASURY)])
def test_a_large_invoice_needs_a_second_approval_by_the_group_the_rule_names(
    deployed: Services, amount: str, group: str, approver: TaskActor
) -> None:
    filed, started = received(deployed, invoice(amount))
    assert (started.data["zweite_freigabe"], started.data["freigabe_gruppe"]) == (True, group)
    first = complete_as(deployed, ORDERING, the_task(deployed, started.id, FACTUAL).id, approve("Sabine Schulz"))
    assert first.status == "running"

    second = the_task(deployed, started.id, SECOND)
    assert (second.name, second.candidate_groups) == ("Rechnerisch richtig zeichnen", [group])
    assert due(second.due) == NOW + timedelta(days=3)
    with pytest.raises(Forbidden, match="not a task of one of your groups"):
        claim_as(deployed, ORDERING, second.id)  # the second approval is not the ordering unit's
    done = complete_as(deployed, approver, second.id, approve_second("Zweite Person"))

    assert done.status == "completed"
    assert payment_order(deployed, filed.id)["approved_by"] == ["Sabine Schulz", "Zweite Person"]
    assert payment_order(deployed, filed.id)["amount"] == amount
    assert case(deployed, filed.id).outcome == "paid"


def test_the_first_approver_may_not_give_the_second_approval(deployed: Services) -> None:
    _filed, started = received(deployed, invoice("9000.00"))
    complete_as(deployed, BOTH_GROUPS, the_task(deployed, started.id, FACTUAL).id, approve("Dieter Vogel"))
    second = the_task(deployed, started.id, SECOND)
    assert BOTH_GROUPS.groups >= set(second.candidate_groups)  # the group alone would let them

    refusal = re.escape("four-eyes principle: d.vogel completed “Sachlich richtig zeichnen”")
    with pytest.raises(Forbidden, match=refusal):
        claim_as(deployed, BOTH_GROUPS, second.id)
    with deployed.db.unit_of_work() as uow, pytest.raises(Forbidden, match="four-eyes principle"):
        complete_task(uow, deployed.engine, second.id, approve_second("Dieter Vogel"), actor=BOTH_GROUPS)
    assert the_task(deployed, started.id, SECOND).assignee is None  # nothing was saved

    done = complete_as(deployed, HEAD, second.id, approve_second("Anna Becker"))
    assert done.status == "completed"
    completions = [(event.element_id, event.actor) for event in done.history if event.kind == "task_completed"]
    assert completions == [(FACTUAL, "d.vogel"), (SECOND, "a.becker")]


def test_a_rejection_at_the_factual_approval_sends_a_letter_and_closes_the_case(deployed: Services) -> None:
    filed, started = received(deployed, invoice())
    reason = "Geliefert wurden 40 statt der berechneten 50 Pakete Kopierpapier."
    done = complete_as(deployed, ORDERING, the_task(deployed, started.id, FACTUAL).id,
                       {"sachlich_entscheidung": "ablehnen", "sachlich_begruendung": reason,
                        "sachlich_name": "Sabine Schulz"})

    assert done.status == "completed"
    assert (done.data["ablehnungsgrund"], done.data["abgelehnt_bei"]) == (reason, "sachlich richtig")
    docs = documents(deployed, filed.id)
    letter = by_title(docs, "Zurückweisung der Rechnung")
    assert (letter.title, letter.kind) == (f"Zurückweisung der Rechnung {NUMBER}", "letter")
    assert letter.versions[-1].filename == "Zurueckweisung-Rechnung.pdf"
    text = pdf_text(deployed, letter.id)
    for expected in (NUMBER, "336,77 €", "02.01.2026", reason, "B-32-117", "04011000-12345-03",
                     filed.reference_number, SELLER, "Rheinstraße 12", "47799 Krefeld"):
        assert expected in text, expected
    assert not any(doc.kind == "payment_order" for doc in docs)
    assert "zahlungsanordnung" not in done.data
    assert case(deployed, filed.id).outcome == "rejected"


def test_a_rejection_at_the_second_approval_sends_the_second_approvers_reason(deployed: Services) -> None:
    filed, started = received(deployed, invoice("31000.00"))
    complete_as(deployed, ORDERING, the_task(deployed, started.id, FACTUAL).id, approve("Sabine Schulz"))
    reason = "Der Rechnungsbetrag übersteigt den Auftragswert von 28.000 €."
    done = complete_as(deployed, TREASURY, the_task(deployed, started.id, SECOND).id,
                       {"zweit_entscheidung": "ablehnen", "zweit_begruendung": reason, "zweit_name": "Kai Fischer"})

    assert (done.status, done.data["abgelehnt_bei"]) == ("completed", "Zweitfreigabe")
    letter = by_title(documents(deployed, filed.id), "Zurückweisung der Rechnung")
    text = pdf_text(deployed, letter.id)
    assert NUMBER in text and "31.000,00 €" in text and reason in text
    assert not any(doc.kind == "payment_order" for doc in documents(deployed, filed.id))
    assert case(deployed, filed.id).outcome == "rejected"


def test_a_paper_invoice_is_captured_by_hand_and_the_capturer_may_not_approve_it(deployed: Services) -> None:
    filed, started = received(deployed, None)
    assert "invoice" in started.data and started.data["invoice"] is None
    [capture] = open_tasks(deployed, started.id)
    assert (capture.element_id, capture.name, capture.candidate_groups) == (CAPTURE, "Rechnung erfassen",
                                                                            ["kreditoren"])
    assert due(capture.due) == NOW + timedelta(days=3)

    captured = complete_as(deployed, PAYABLES_AND_ORDERING, capture.id, {
        "rechnungsnummer": "2026-117", "rechnungsdatum": "2026-01-03", "lieferant": "Malerbetrieb Kaya",
        "lieferant_strasse": "Ostwall 5", "lieferant_plz": "47798", "lieferant_ort": "Krefeld",
        "iban": "de02 1203 0000 0000 2020 51", "betrag": 4999.99, "waehrung": "EUR",
        "candidate_group": GROUP, "bemerkung": "per Post eingegangen"})
    data = captured.data
    assert (data["iban"], data["betrag"], data["zweite_freigabe"], data["lieferant"]) == (
        "DE02120300000000202051", 4999.99, False, "Malerbetrieb Kaya")
    assert data["empfaenger"] == "Malerbetrieb Kaya\nOstwall 5\n47798 Krefeld"
    factual = the_task(deployed, started.id, FACTUAL)
    assert factual.candidate_groups == [GROUP]
    assert due_day(factual.due) == TODAY + timedelta(days=5)  # no due date on the invoice: five days

    with pytest.raises(Forbidden, match=re.escape("four-eyes principle: j.lang completed “Rechnung erfassen”")):
        claim_as(deployed, PAYABLES_AND_ORDERING, factual.id)
    done = complete_as(deployed, ORDERING, factual.id, approve("Sabine Schulz"))
    assert done.status == "completed"
    order = payment_order(deployed, filed.id)
    assert (order["invoice_number"], order["amount"], order["creditor"], order["due_date"]) == (
        "2026-117", "4999.99", "Malerbetrieb Kaya", None)
    assert case(deployed, filed.id).outcome == "paid"


def test_an_e_invoice_without_bank_account_is_completed_by_hand(deployed: Services) -> None:
    filed, started = received(deployed, invoice(iban=None))
    [capture] = open_tasks(deployed, started.id)
    assert (capture.element_id, capture.candidate_groups) == (CAPTURE, ["kreditoren"])
    assert (started.data["rechnungsnummer"], started.data["iban"]) == (NUMBER, "")  # what the form shows

    keep = {name: started.data[name] for name in ("rechnungsnummer", "rechnungsdatum", "lieferant", "betrag",
                                                  "waehrung", "candidate_group")}
    complete_as(deployed, PAYABLES, capture.id, {**keep, "iban": "DE89370400440532013000"})
    done = complete_as(deployed, ORDERING, the_task(deployed, started.id, FACTUAL).id, approve("Sabine Schulz"))
    assert done.status == "completed"
    assert payment_order(deployed, filed.id)["iban"] == "DE89370400440532013000"


def test_an_approved_credit_note_is_closed_without_payment(deployed: Services) -> None:
    filed, started = received(deployed, invoice("120.00", type_code="381", is_credit_note=True))
    assert started.data["gutschrift"] is True
    done = complete_as(deployed, ORDERING, the_task(deployed, started.id, FACTUAL).id, approve("Sabine Schulz"))
    assert done.status == "completed" and "zahlungsanordnung" not in done.data
    assert not any(doc.kind == "payment_order" for doc in documents(deployed, filed.id))
    assert case(deployed, filed.id).outcome == "credited"


def test_the_approval_rule_at_its_boundaries(deployed: Services) -> None:
    expected = {  # (amount, currency) -> (second approval, group)
        ("0.01", "EUR"): (False, None), ("4999.99", "EUR"): (False, None),
        ("5000.00", "EUR"): (True, "abteilungsleitung"), ("25000.00", "EUR"): (True, "abteilungsleitung"),
        ("25000.01", "EUR"): (True, "kaemmerei"), ("100.00", "CHF"): (True, "kaemmerei"),
    }
    got = {}
    for amount, currency in expected:
        _filed, started = received(deployed, invoice(amount, currency=currency))
        got[(amount, currency)] = (started.data["zweite_freigabe"], started.data["freigabe_gruppe"])
    assert got == expected


def test_the_factual_approval_is_due_in_five_days_or_three_days_before_the_invoice(deployed: Services) -> None:
    expected = {  # the invoice's due date -> the day the factual approval is due
        None: TODAY + timedelta(days=5),
        "2026-03-31": TODAY + timedelta(days=5),
        (TODAY + timedelta(days=6)).isoformat(): TODAY + timedelta(days=3),
        (TODAY + timedelta(days=2)).isoformat(): TODAY,  # nearly due: at once
        "2025-12-01": TODAY,  # already overdue
    }
    got = {}
    for due_date in expected:
        _filed, started = received(deployed, invoice(due_date=due_date))
        got[due_date] = due_day(the_task(deployed, started.id, FACTUAL).due)
    assert got == expected


def refused(services: Services, actor: TaskActor, task_id: str, data: dict[str, Any]) -> dict[str, str]:
    with services.db.unit_of_work() as uow, pytest.raises(ValidationFailed) as caught:
        complete_task(uow, services.engine, task_id, data, actor=actor)
    return dict(caught.value.details or {})


def test_invalid_form_values_are_refused_naming_the_field(deployed: Services) -> None:
    _filed, manual = received(deployed, None)
    capture = the_task(deployed, manual.id, CAPTURE)
    good = {"rechnungsnummer": "2026-118", "rechnungsdatum": "2026-01-03", "lieferant": "Malerbetrieb Kaya",
            "iban": "DE02120300000000202051", "betrag": 80.0, "waehrung": "EUR", "candidate_group": GROUP}
    assert set(refused(deployed, PAYABLES, capture.id, {**good, "iban": "Sparkasse Krefeld"})) == {"iban"}
    assert set(refused(deployed, PAYABLES, capture.id, {**good, "betrag": -80})) == {"betrag"}
    assert set(refused(deployed, PAYABLES, capture.id, {**good, "waehrung": "DM"})) == {"waehrung"}
    missing = dict(good)
    del missing["lieferant"]
    assert set(refused(deployed, PAYABLES, capture.id, missing)) == {"lieferant"}

    _filed, started = received(deployed, invoice("9000.00"))
    factual = the_task(deployed, started.id, FACTUAL)
    assert set(refused(deployed, ORDERING, factual.id, approve("Sabine Schulz", sachlich_entscheidung="vielleicht"))
               ) == {"sachlich_entscheidung"}
    assert set(refused(deployed, ORDERING, factual.id, {"sachlich_entscheidung": "ablehnen",
                                                        "sachlich_name": "Sabine Schulz"})) == {"sachlich_begruendung"}
    assert set(refused(deployed, ORDERING, factual.id, approve("Sabine Schulz", kostenstelle="32-10"))) == {
        "kostenstelle"}
    # a completion cannot set other process variables: skip the second approval, change the amount
    for name, value in (("zweite_freigabe", False), ("betrag", 90.0), ("iban", "DE02120300000000202051")):
        details = refused(deployed, ORDERING, factual.id, approve("Sabine Schulz", **{name: value}))
        assert name in " ".join(details.values()), details

    assert the_task(deployed, started.id, FACTUAL).status == "open"
    assert instance(deployed, started.id).data["zweite_freigabe"] is True


def test_an_accepted_xrechnung_from_the_intake_starts_the_procedure(deployed: Services, tmp_path: Path) -> None:
    """The real hand-over: intake checks, routes and files an XRechnung and starts this process with it."""
    intake = intake_services(deployed, tmp_path)
    with intake.db.unit_of_work() as uow:
        import_routes(uow, intake.clock, parse_routes_csv(f"leitweg_id;unit;group\n04011000-12345-03;32;{GROUP}\n",
                                                          "routes.csv"))
        uow.commit()
    received_item = receive_path(intake, "xrechnung/valid/01.01a-INVOICE_ubl.xml")
    process_all(intake)
    accepted = item(intake, received_item.id)
    assert accepted.status == "accepted" and accepted.process_instance_id is not None

    started = instance(intake, str(accepted.process_instance_id))
    data = started.data
    assert (data["rechnungsnummer"], data["betrag"], data["waehrung"], data["leitweg_id"]) == (
        "123456XX", 336.9, "EUR", "04011000-12345-03")
    assert data["lieferant"] == "[Seller name]" and data["iban"].startswith("DE")
    [task] = open_tasks(intake, started.id)
    assert (task.element_id, task.candidate_groups) == (FACTUAL, [GROUP])
    done = complete_as(intake, ORDERING, task.id, approve("Sabine Schulz"))
    assert done.status == "completed"
    assert payment_order(intake, accepted.case_id)["invoice_number"] == "123456XX"
    assert case(intake, accepted.case_id).outcome == "paid"
