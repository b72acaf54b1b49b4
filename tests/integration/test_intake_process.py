"""Processing received e-invoices: checked by the official rules, routed by Leitweg-ID, filed as a case with its
documents, the incoming-invoice process started — or rejected with a notice, flagged as a duplicate, or kept
as a paper-like document. Every test runs on SQLite + filesystem and PostgreSQL + S3 (moto)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from core.bootstrap import Services
from engine.models import HumanTask
from intake.einvoice import Checker
from intake.models import IntakeItem
from intake.process import duplicate_key, process_pending
from intake.routing import import_routes, parse_routes_csv
from records.access import Principal
from records.models import RecordCase, RecordFile
from tests.conftest import testdata_dir as shared_testdata
from tests.intake_helpers import (
    case_and_file,
    content_of,
    count,
    deploy_invoice_process,
    documents_of,
    intake_services,
    item,
    notes_of,
    process_all,
    receive_path,
    rules_dir,
)
from tests.integration.test_search_flow import found, work

VALID_UBL = "xrechnung/valid/01.01a-INVOICE_ubl.xml"  # Leitweg-ID 04011000-12345-03
SAME_INVOICE_CII = "xrechnung/valid/01.01a-INVOICE_uncefact.xml"  # the same invoice in the other syntax
OTHER_VALID = "xrechnung/valid/XRECHNUNG_Einfach.ubl.xml"  # 04011000-12345-34 (no route: central)
PREFIX_ROUTED = "xrechnung/valid/01.06a-INVOICE_ubl.xml"  # 99000000-01944-98
INVALID = "xrechnung/invalid/invalidXRV30.xml"  # fails BR-DE rules, among others
ZUGFERD = "zugferd/valid/zugferd_2p0_EN16931_Einfach.pdf"
PAPER = "documents/invoice.pdf"  # a PDF invoice without embedded XML

ROUTES = ("leitweg_id;unit;group\n04011000-12345-03;32;rechnungen-32\n99000000-*;50;rechnungen-50\n")


@pytest.fixture
def intake(services: Services, tmp_path: Path) -> Services:
    configured = intake_services(services, tmp_path)
    with configured.db.unit_of_work() as uow:
        import_routes(uow, configured.clock, parse_routes_csv(ROUTES, "routes.csv"))
        uow.commit()
    return configured


def test_an_accepted_invoice_becomes_a_case_in_its_units_file_and_starts_the_process(intake: Services) -> None:
    deploy_invoice_process(intake)
    received = receive_path(intake, VALID_UBL)
    assert received.status == "received" and received.document_id is not None

    assert process_pending(intake) == 1
    done = item(intake, received.id)
    assert (done.status, done.valid, done.syntax) == ("accepted", True, "UBL-Invoice")
    assert (done.invoice_number, done.payable, done.leitweg_id) == ("123456XX", "336.9", "04011000-12345-03")
    assert (done.unit, done.candidate_group, done.routed_by) == ("32", "rechnungen-32", "route")
    assert done.findings["rule_sets"] and done.findings["errors"] == 0
    assert done.case_id is not None and done.process_instance_id is not None

    case, file = case_and_file(intake, done.case_id)
    assert file.owning_unit == "32" and file.plan_code == "20.30" and file.title == "Eingangsrechnungen 32 2026"
    assert case.title == "Rechnung 123456XX – [Seller name]" and case.applicant["name"] == "[Seller name]"
    assert case.process_instance_id == done.process_instance_id
    filed = documents_of(intake, case_id=done.case_id)
    assert filed["Rechnung 123456XX"] == ("01.01a-INVOICE_ubl.xml", "application/xml")
    assert filed["Prüfbericht 123456XX"] == ("Pruefbericht-123456XX.json", "application/json")
    assert filed["Rechnung 123456XX (lesbare Darstellung)"][1] == "text/html"
    report = json.loads(content_of(intake, done.documents["report"]))
    assert report["valid"] is True and report["invoice"]["number"] == "123456XX"
    assert "123456XX" in content_of(intake, done.documents["rendering"]).decode()
    assert content_of(intake, done.documents["invoice"]) == content_of(intake, done.documents["received"])

    with intake.db.session() as session:
        groups = session.scalars(select(HumanTask.candidate_groups)
                                 .where(HumanTask.instance_id == done.process_instance_id)).one()
    assert groups == ["rechnungen-32"]


def test_routing_by_prefix_and_unknown_leitweg_ids_to_the_central_unit(intake: Services) -> None:
    prefixed = receive_path(intake, PREFIX_ROUTED)
    unknown = receive_path(intake, OTHER_VALID)
    process_all(intake)
    assert (item(intake, prefixed.id).unit, item(intake, prefixed.id).candidate_group,
            item(intake, prefixed.id).routed_by) == ("50", "rechnungen-50", "prefix")
    central = item(intake, unknown.id)
    assert (central.status, central.unit, central.candidate_group, central.routed_by) == (
        "accepted", "21", "kreditoren", "central")
    _case, file = case_and_file(intake, central.case_id)  # type: ignore[arg-type]
    assert file.owning_unit == "21"


def test_without_a_deployed_process_the_case_is_created_and_the_item_says_so(intake: Services) -> None:
    received = receive_path(intake, OTHER_VALID)
    process_all(intake)
    done = item(intake, received.id)
    assert done.status == "accepted" and done.case_id is not None and done.process_instance_id is None
    assert "'rechnungseingang' (AKTE_INVOICE_PROCESS) is not deployed" in (done.note or "")


def test_the_same_invoice_again_is_a_duplicate_flagged_on_the_first_case(intake: Services) -> None:
    first = receive_path(intake, VALID_UBL)
    process_all(intake)
    again = receive_path(intake, SAME_INVOICE_CII)  # other bytes, same seller, number and amount
    process_all(intake)
    twin = item(intake, again.id)
    assert twin.status == "duplicate" and twin.duplicate_of == first.id and twin.case_id is None
    assert count(intake, RecordCase) == 1
    original_case = item(intake, first.id).case_id
    assert any("Doppelt eingegangen" in text and "123456XX" in text
               for text in notes_of(intake, case_id=original_case))


def test_an_invoice_failing_the_rules_is_rejected_with_a_notice_naming_them(intake: Services) -> None:
    received = receive_path(intake, INVALID)
    process_all(intake)
    rejected = item(intake, received.id)
    assert rejected.status == "rejected" and rejected.valid is False and rejected.case_id is None
    failed = rejected.findings["failed_rules"]
    assert failed and all(rule in (rejected.error or "") for rule in failed[:3])
    notice = content_of(intake, rejected.documents["notice"]).decode()
    assert notice.startswith("[Seller name]") and "Zurückweisung Ihrer elektronischen Rechnung Nr. 123456XX" in notice
    assert all(f"[{rule}]" in notice for rule in failed)
    inbox = rejected.inbox_file_id
    in_inbox = documents_of(intake, file_id=inbox)
    assert "Zurückweisung Ihrer elektronischen Rechnung Nr. 123456XX" in in_inbox
    assert any(title.startswith("Prüfbericht") for title in in_inbox)
    assert any("zurückgewiesen" in text for text in notes_of(intake, file_id=inbox))
    assert count(intake, RecordCase) == 0


def test_warnings_do_not_reject(intake: Services) -> None:
    checker = Checker(rules_dir())
    path = next(path for path in sorted((shared_testdata() / "xrechnung" / "valid").glob("*.xml"))
                if (result := checker.check(path.read_bytes(), path.name)).valid and result.warnings)
    received = receive_path(intake, f"xrechnung/valid/{path.name}")
    process_all(intake)
    done = item(intake, received.id)
    assert done.status == "accepted" and done.findings["warnings"] > 0


def test_a_zugferd_pdf_is_accepted_with_the_pdf_as_the_invoice_document(intake: Services) -> None:
    received = receive_path(intake, ZUGFERD)
    process_all(intake)
    done = item(intake, received.id)
    assert (done.status, done.syntax) == ("accepted", "PDF-embedded-CII")
    filed = documents_of(intake, case_id=done.case_id)
    assert filed[f"Rechnung {done.invoice_number}"] == ("zugferd_2p0_EN16931_Einfach.pdf", "application/pdf")


def test_a_pdf_without_invoice_data_is_kept_as_a_paper_like_document(intake: Services) -> None:
    received = receive_path(intake, PAPER)
    process_all(intake)
    paper = item(intake, received.id)
    assert paper.status == "paper" and paper.case_id is None and paper.error is None
    assert "no e-invoice" in (paper.note or "")
    assert documents_of(intake, file_id=paper.inbox_file_id)["Eingang: invoice.pdf"][1] == "application/pdf"


def test_every_test_invoice_is_classified_as_its_check_says(intake: Services) -> None:
    checker = Checker(rules_dir())
    folder = shared_testdata()
    paths = sorted(p for kind in ("xrechnung", "zugferd") for p in (folder / kind).rglob("*")
                   if p.suffix in (".xml", ".pdf"))
    expected: dict[str, str] = {}
    accepted_keys: set[str | None] = set()
    for path in paths:
        relative = str(path.relative_to(folder))
        try:
            result = checker.check(path.read_bytes(), path.name)
        except Exception:
            expected[relative] = "rejected"
        else:
            if result.paper_like:
                expected[relative] = "paper"
            elif not result.valid or result.invoice is None:
                expected[relative] = "rejected"
            else:
                invoice = result.invoice
                key = duplicate_key(invoice.seller.vat_id, invoice.seller.name, invoice.number,
                                    None if invoice.payable is None else format(invoice.payable.normalize(), "f"))
                expected[relative] = "duplicate" if key is not None and key in accepted_keys else "accepted"
                accepted_keys.add(key)
        receive_path(intake, relative)
        process_all(intake)  # one by one: which of two twins is the duplicate follows the order
    with intake.db.session() as session:
        got = {row.filename: row.status for row in session.scalars(select(IntakeItem))}
    assert {Path(relative).name: status for relative, status in expected.items()} == got
    assert "accepted" in got.values() and "rejected" in got.values()
    with intake.db.session() as session:
        files = {row.title for row in session.scalars(select(RecordFile))}
    assert "Posteingang E-Rechnungen 2026" in files


def test_route_import_is_all_or_nothing_with_file_and_line_errors(intake: Services, tmp_path: Path) -> None:
    import subprocess

    from tests.helpers import AKTE, REPO
    from tests.intake_helpers import intake_env

    env = intake_env(intake)
    broken = tmp_path / "routen.csv"
    broken.write_text("leitweg_id;unit;group\n04011000-12346-97;40;g40\n04011000-12345-34;41;g41\nkaputt;42;g\n")
    result = subprocess.run([*AKTE, "einvoice", "route", "import", str(broken)], capture_output=True, text=True,
                            env=env, cwd=REPO, timeout=300)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "routen.csv:3: the check digits of 04011000-12345-34 should be 03",
        "routen.csv:4: 'KAPUTT' is not a Leitweg-ID like 04011000-12345-03 (or a prefix like 04011000-*)"]
    listed = subprocess.run([*AKTE, "einvoice", "route", "list", "--json"], capture_output=True, text=True, env=env,
                            cwd=REPO, timeout=300)
    assert {route["leitweg_id"] for route in json.loads(listed.stdout)} == {"04011000-12345-03", "99000000-*"}

    good = tmp_path / "neu.csv"
    good.write_text("leitweg_id,unit,group\n04011000-12346-97,40,g40\n04011000-12345-03,33,rechnungen-33\n")
    result = subprocess.run([*AKTE, "einvoice", "route", "import", str(good), "--replace"], capture_output=True,
                            text=True, env=env, cwd=REPO, timeout=300)
    assert result.returncode == 0 and "1 created, 1 updated, 1 removed" in result.stderr
    received = receive_path(intake, VALID_UBL)
    process_all(intake)
    assert (item(intake, received.id).unit, item(intake, received.id).candidate_group) == ("33", "rechnungen-33")


def test_an_accepted_invoice_is_found_by_type_invoice(intake: Services) -> None:
    done_id = receive_path(intake, VALID_UBL).id
    process_pending(intake)
    invoice_document = item(intake, done_id).documents["invoice"]
    work(intake)
    admin = Principal.system("test")
    # the case's invoice only: not the copy of receipt in the intake inbox, the report or the rendering
    assert found(intake, "type:invoice", admin) == {f"document:{invoice_document}"}
