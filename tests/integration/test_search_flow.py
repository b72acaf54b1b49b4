"""From a document added to a case to a permission-filtered search hit: extraction, outbox, indexer."""

from __future__ import annotations

import dataclasses
import json
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core import outbox
from core.bootstrap import Services
from core.clock import FrozenClock
from core.outbox import OutboxEvent
from engine.deploy import deploy
from engine.lifecycle import cancel_instance
from engine.workflow.parsing import SourceFile
from engine.workflow.problems import ModelRejected
from records import notes
from records.files import update_file
from search.extraction import extract_pending, retry_failed
from search.indexer import drain
from search.models import DocumentText
from search.reindex import reindex
from search.service import search
from tests.conftest import MODELS
from tests.conftest import testdata_dir as shared_testdata
from tests.helpers import AKTE, akte, akte_env, complete, deploy_models
from tests.records_helpers import ADMIN, CLERK_A, add, load_plan, new_case, new_file
from tests.web_helpers import api_client
from web.casestart import StartedCase, start_case


def work(services: Services) -> None:
    """What the worker does for search, until nothing is left."""
    for _ in range(20):
        if not extract_pending(services.db, services.search) + drain(services.db, services.search):
            return


def found(services: Services, text: str, principal: object = ADMIN) -> set[str]:
    result = search(services.search.index, principal, text, size=100)  # type: ignore[arg-type]
    return {hit.key for hit in result.hits}


def test_documents_cases_files_and_notes_are_found_by_their_words(services: Services) -> None:
    load_plan(services)
    file = new_file(services)
    case = new_case(services, file)
    invoice = (shared_testdata() / "documents" / "RE-E-974-Hetzner_2016-01-19_R0005532486.pdf").read_bytes()
    document = add(services, case, invoice, "Rechnung Hetzner.pdf")
    letter = add(services, case, b"Sehr geehrte Frau Mustermann, Ihr Bauantrag ist eingegangen.",
                 "Eingangsbestätigung.txt")
    with services.db.unit_of_work() as uow:
        note = notes.add_note(uow, services.records, ADMIN, "Rückruf wegen Grundbuchauszug", case_id=case.id)
        uow.commit()
    work(services)
    assert found(services, "Gunzenhausen") == {f"document:{document.id}"}  # from the PDF's text layer
    assert found(services, "antrag mustermann") == {f"document:{letter.id}"}
    assert found(services, "mustermann") == {f"document:{letter.id}", f"case:{case.id}"}  # applicant data
    assert found(services, "grundbuch") == {f"note:{note.id}"}  # part of "Grundbuchauszug"
    hits = search(services.search.index, ADMIN, file.reference_number).hits
    assert hits[0].reference_number == file.reference_number
    with services.db.session() as session:
        assert session.scalar(select(func.count()).select_from(OutboxEvent)) == 0
        text = session.get(DocumentText, document.id)
        assert text is not None and text.status == "done" and text.method == "pdf-text"


def test_nobody_finds_what_they_may_not_see_and_changes_follow(services: Services) -> None:
    load_plan(services)
    mine = new_case(services, new_file(services, unit="unit-a"))
    theirs = new_case(services, new_file(services, unit="unit-b", confidentiality="confidential"))
    add(services, mine, "Widerspruch gegen den Gebührenbescheid\n".encode(), "widerspruch.txt")
    add(services, theirs, b"Widerspruch mit Gesundheitsdaten\n", "geheim.txt")
    work(services)
    result = search(services.search.index, CLERK_A, "widerspruch", size=100)
    assert result.total == 1  # clerk A's document; the confidential one of unit B is not even counted
    assert all(hit.reference_number == mine.reference_number for hit in result.hits)
    assert sum(result.facets["doc_type"].values()) == result.total
    assert found(services, "gesundheitsdaten", CLERK_A) == set()
    with services.db.unit_of_work() as uow:  # the file becomes confidential: clerk A loses it
        update_file(uow, services.records.clock, ADMIN, mine.file_id, {"confidentiality": "confidential"})
        uow.commit()
    work(services)
    assert search(services.search.index, CLERK_A, "widerspruch").total == 0
    assert len(found(services, "widerspruch")) >= 2


def test_failed_extraction_is_recorded_and_can_be_retried(services: Services) -> None:
    load_plan(services)
    case = new_case(services, new_file(services))
    broken = add(services, case, (shared_testdata() / "documents" / "invalid.pdf").read_bytes(), "kaputt.pdf")
    work(services)
    with services.db.session() as session:
        text = session.get(DocumentText, broken.id)
        assert text is not None and text.status == "failed" and text.attempts == 3
        assert text.error and "\n" not in text.error
    assert found(services, "kaputt") == {f"document:{broken.id}"}  # still found by its name
    assert retry_failed(services.db) == 1
    assert extract_pending(services.db, services.search) == 1


def test_a_killed_worker_loses_no_index_update(services: Services) -> None:
    load_plan(services)
    case = new_case(services, new_file(services))
    with services.db.unit_of_work() as uow:
        for number in range(60):
            notes.add_note(uow, services.records, ADMIN, f"Vermerk Nummer{number:03d} zum Ortstermin", case_id=case.id)
        uow.commit()
    worker = subprocess.Popen([*AKTE, "worker"], env=akte_env(services), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    time.sleep(2.5)
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=30)
    work(services)  # another worker finishes what the killed one left
    assert len(found(services, "ortstermin")) == 60
    assert found(services, "nummer042") != set()
    with services.db.session() as session:
        assert session.scalar(select(func.count()).select_from(OutboxEvent)) == 0


def test_reindex_rebuilds_and_resumes(services: Services, tmp_path: Path) -> None:
    load_plan(services)
    cases = [new_case(services, new_file(services)) for _ in range(3)]
    for number, case in enumerate(cases):
        add(services, case, f"Schreiben Nummer {number} zur Baulast\n".encode(), "brief.txt")
    work(services)
    before = found(services, "baulast")
    services.search.index.clear()
    assert found(services, "baulast") == set()
    checkpoint = tmp_path / "reindex.json"
    assert reindex(services.db, services.records, services.search.index, checkpoint) == 3
    assert found(services, "baulast") == before and not checkpoint.exists()
    first_two = sorted(case.file_id for case in cases)[1]
    checkpoint.write_text(f'{{"after_file": "{first_two}"}}')  # as a run stopped after two files leaves it
    assert reindex(services.db, services.records, services.search.index, checkpoint) == 1
    assert found(services, "baulast") == before


def test_search_by_api_and_cli(services: Services) -> None:
    load_plan(services)
    case = new_case(services, new_file(services))
    add(services, case, b"Antrag auf Sondernutzung des Gehwegs\n", "sondernutzung.txt")
    work(services)
    with api_client(services) as client:
        body = client.get("/api/v1/search?q=gehweg").json
        assert body["total"] >= 1 and "<mark>Gehweg</mark>" in body["hits"][0]["snippet"]
        assert client.get("/api/v1/search?q=" + "x" * 10000).status_code == 400
        for hostile in ['"unclosed', "'; DROP TABLE search_entry;--", '{"$where": 1}', "%00", "az:"]:
            response = client.get("/api/v1/search", query_string={"q": hostile})
            assert response.status_code == 200, (hostile, response.json)
        assert client.get("/api/v1/search?q=a&cursor=garbage").status_code == 400
    services.search.index.clear()
    rebuilt = akte(services, "reindex")
    assert rebuilt.returncode == 0 and "reindexed 1 file(s)" in rebuilt.stderr, rebuilt.stderr
    as_json = akte(services, "search", "gehweg", "--json")
    assert json.loads(as_json.stdout)["hits"][0]["reference_number"] == case.reference_number
    hidden = akte(services, "search", "gehweg", "--unit", "unit-b", "--json")
    assert json.loads(hidden.stdout)["total"] == 0
    printed = akte(services, "search", "sondernutzung")
    assert printed.returncode == 0, printed.stderr
    assert case.reference_number in printed.stdout and "1 hit(s)" in printed.stderr


def test_a_scanned_document_is_found_by_its_ocr_text(services: Services) -> None:
    load_plan(services)
    case = new_case(services, new_file(services))
    scan = add(services, case, (shared_testdata() / "documents" / "masks.pdf").read_bytes(), "Scan.pdf")
    work(services)
    assert found(services, "linux") == {f"document:{scan.id}"}
    with services.db.session() as session:
        text = session.get(DocumentText, scan.id)
        assert text is not None and text.method == "pdf-ocr"


def _letter_case(services: Services, title: str, data: dict[str, object]) -> StartedCase:
    """A case in a new file, driven by the case_letter process, indexed."""
    load_plan(services)
    deploy_models(services, "case_letter.bpmn")
    with services.db.unit_of_work() as uow:
        started = start_case(uow, services, ADMIN, title=title, process_key="case_letter", data=data,
                             file={"plan_code": "32.10.05", "title": "Mustermann", "owning_unit": "unit-a"})
        uow.commit()
    work(services)
    return started


def test_a_case_status_in_the_index_follows_its_process(services: Services) -> None:
    started = _letter_case(services, "Sondernutzung Gehweg", {"applicant_name": "Erika"})
    assert found(services, "sondernutzung status:in_progress") == {f"case:{started.case.id}"}
    assert started.instance is not None
    with services.db.unit_of_work() as uow:
        cancel_instance(uow, services.engine, started.instance.id, actor="test")
        uow.commit()
    work(services)
    assert found(services, "sondernutzung status:in_progress") == set()
    assert found(services, "sondernutzung status:cancelled") == {f"case:{started.case.id}"}


def test_a_procedures_search_fields_make_its_cases_findable(services: Services) -> None:
    started = _letter_case(services, "Umtausch",
                           {"applicant_name": "Erika", "licence_class": "CE79", "internal_note": "XQ17"})
    case_key = f"case:{started.case.id}"
    assert found(services, "ce79") == {case_key}
    assert found(services, "xq17") == set()  # not declared searchable by the procedure
    assert started.instance is not None
    complete(services, started.instance.open_tasks[0].id, {"licence_class": "BE42", "close_target": "none"})
    work(services)
    assert found(services, "be42") == {case_key} and found(services, "ce79") == set()


def test_search_fields_must_be_variable_names(services: Services) -> None:
    broken = (MODELS / "case_letter.bpmn").read_text().replace("licence_class, applicant_name", "licence class")
    with services.db.unit_of_work() as uow, pytest.raises(ModelRejected) as caught:
        deploy(uow, services.engine, [SourceFile("case_letter.bpmn", broken.encode())])
    assert "searchFields: 'licence class' is not a variable name" in str(caught.value.problems[0])


def test_text_with_nul_characters_is_indexed_without_them(services: Services) -> None:
    load_plan(services)
    case = new_case(services, new_file(services))
    content = b"Vorgang " * 2000 + b"\x00Nulltrenner Ergebnis\n"  # past the sniffed head: still plain text
    document = add(services, case, content, "protokoll.txt")
    work(services)
    assert found(services, "nulltrenner") == {f"document:{document.id}"}
    with services.db.session() as session:
        text = session.get(DocumentText, document.id)
        assert text is not None and text.status == "done" and "\x00" not in text.text


class _BrokenIndex:
    """An index whose writes fail (an Elasticsearch outage, say), delegating searches to the real one."""

    def __init__(self, real: object) -> None:
        self.real, self.name = real, "broken"

    def upsert(self, entries: object, *, bind: object = None) -> None:
        raise RuntimeError("index unreachable")

    def delete(self, keys: object, *, bind: object = None) -> None:
        raise RuntimeError("index unreachable")


def test_events_that_keep_failing_are_parked_visibly_and_retried_on_request(
    services: Services, clock: FrozenClock
) -> None:
    load_plan(services)
    case = new_case(services, new_file(services))
    broken = dataclasses.replace(services.search, index=_BrokenIndex(services.search.index))  # type: ignore[arg-type]
    for _ in range(outbox.MAX_ATTEMPTS + 2):
        drain(services.db, broken)
        clock.advance(timedelta(hours=2))
    with services.db.unit_of_work() as uow:
        parked = outbox.failed(uow, outbox.INDEX_TOPIC)
        assert {event.entity_type for event in parked} == {"file", "case"}
        assert all("index unreachable" in (event.last_error or "") for event in parked)
        assert outbox.pending(uow, outbox.INDEX_TOPIC) == 0
    listed = akte(services, "outbox", "failed")
    assert listed.returncode == 0 and "index unreachable" in listed.stdout
    assert found(services, "umtausch") == set()
    retried = akte(services, "outbox", "retry")
    assert retried.returncode == 0 and f"{len(parked)} event(s)" in retried.stderr
    with services.db.unit_of_work() as uow:
        assert outbox.pending(uow, outbox.INDEX_TOPIC) == len(parked)
    clock.set(max(clock.now(), datetime.now(UTC)) + timedelta(minutes=1))  # the CLI used the real clock
    work(services)
    assert found(services, "umtausch") == {f"case:{case.id}"}


def test_the_document_view_shows_how_extraction_went(services: Services) -> None:
    load_plan(services)
    case = new_case(services, new_file(services))
    broken = add(services, case, (shared_testdata() / "documents" / "invalid.pdf").read_bytes(), "kaputt.pdf")
    with api_client(services) as client:
        assert client.get(f"/api/v1/documents/{broken.id}").json["text_extraction"]["status"] == "pending"
        work(services)
        extraction = client.get(f"/api/v1/documents/{broken.id}").json["text_extraction"]
    assert extraction["status"] == "failed" and "PDF is damaged" in extraction["error"]
