"""Receiving e-invoices through the API, the web upload function and `akte einvoice receive`: stored first (a
document in the intake inbox file + an item), idempotent by content, hostile input refused or rejected with a
clear error and nothing half-stored."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from core.bootstrap import Services
from intake.models import IntakeItem
from intake.receive import receive
from records.documents import Upload
from records.models import Document, RecordCase, RecordFile
from tests.helpers import AKTE, REPO
from tests.intake_helpers import (
    CLERK,
    blob_count,
    count,
    documents_of,
    intake_env,
    intake_services,
    invoice_path,
    item,
    process_all,
    receive_bytes,
)
from tests.web_helpers import api_client

VALID_UBL = "xrechnung/valid/01.01a-INVOICE_ubl.xml"
ZUGFERD = "zugferd/valid/zugferd_2p0_EN16931_Einfach.pdf"
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE Invoice [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
         xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"><cbc:ID>&secret;</cbc:ID></Invoice>
"""
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&lol4;</Invoice>
"""


@pytest.fixture
def intake(services: Services, tmp_path: Path) -> Services:
    return intake_services(services, tmp_path)


@pytest.fixture
def client(intake: Services) -> Iterator[FlaskClient]:
    with api_client(intake, "portal", roles=("caseworker",), units=("unit-x",), clearance="internal") as test_client:
        yield test_client


def _post(client: FlaskClient, *files: tuple[bytes, str]) -> tuple[int, object]:
    # encoded here: the test client would spool a large body to a temporary file it never closes
    parts = MultiDict([("file", FileStorage(io.BytesIO(content), name)) for content, name in files])
    boundary, body = encode_multipart(parts)
    response = client.post("/api/v1/einvoices", data=body,
                           content_type=f'multipart/form-data; boundary="{boundary}"')
    return response.status_code, response.json


def zip_bomb(megabytes: int = 200) -> bytes:
    """A small ZIP that would unpack to `megabytes` of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive, \
            archive.open("rechnung.xml", "w", force_zip64=True) as member:
        chunk = bytes(1024 * 1024)
        for _ in range(megabytes):
            member.write(chunk)
    return buffer.getvalue()


def test_the_api_stores_several_invoices_and_answers_202_with_the_items(intake: Services, client: FlaskClient) -> None:
    ubl, pdf = invoice_path(VALID_UBL), invoice_path(ZUGFERD)
    status, body = _post(client, (ubl.read_bytes(), ubl.name), (pdf.read_bytes(), pdf.name))
    assert status == 202, body
    assert isinstance(body, list) and [entry["status"] for entry in body] == ["received", "received"]
    assert [entry["channel"] for entry in body] == ["api", "api"] and body[0]["received_by"] == "portal"
    assert {entry["media_type"] for entry in body} == {"application/xml", "application/pdf"}
    inbox = documents_of(intake, file_id=body[0]["file_id"])
    assert set(inbox) == {f"Eingang: {ubl.name}", f"Eingang: {pdf.name}"}

    process_all(intake)
    shown = client.get(f"/api/v1/einvoices/{body[0]['id']}")
    assert shown.status_code == 200 and shown.json["status"] == "accepted" and shown.json["case_id"]
    listed = client.get("/api/v1/einvoices?status=accepted").json
    assert {entry["id"] for entry in listed} == {entry["id"] for entry in body}


def test_the_api_needs_the_caseworker_role_and_a_file(intake: Services) -> None:
    with api_client(intake, "designer", roles=("designer",)) as designer:
        assert _post(designer, (b"<x/>", "a.xml"))[0] == 403
    with api_client(intake, "portal2", roles=("caseworker",)) as caseworker:
        status, body = _post(caseworker)
        assert status == 400 and "no file" in json.dumps(body)
        other = caseworker.post("/api/v1/einvoices", json={"file": "x"})
        assert other.status_code == 400
    assert count(intake, IntakeItem) == 0


def test_the_same_file_twice_is_stored_once(intake: Services, client: FlaskClient) -> None:
    content = invoice_path(VALID_UBL).read_bytes()
    first = _post(client, (content, "rechnung.xml"))[1]
    again = _post(client, (content, "noch-einmal.xml"))[1]
    both = _post(client, (content, "a.xml"), (content, "b.xml"))[1]
    assert isinstance(first, list) and isinstance(again, list) and isinstance(both, list)
    assert again[0]["id"] == first[0]["id"] and again[0]["already_received"] is True
    assert {entry["id"] for entry in both} == {first[0]["id"]}
    assert count(intake, IntakeItem) == 1 and count(intake, Document) == 1
    process_all(intake)
    assert _post(client, (content, "später.xml"))[1][0]["status"] == "accepted"  # type: ignore[index]
    assert count(intake, RecordCase) == 1


def test_refused_uploads_leave_nothing_behind(intake: Services, client: FlaskClient) -> None:
    good = invoice_path(VALID_UBL)
    before = blob_count(intake)
    status, body = _post(client, (good.read_bytes(), good.name), (zip_bomb(50), "rechnung.zip"))
    assert status == 400 and "application/zip" in json.dumps(body) and "not accepted" in json.dumps(body)
    huge = b'<?xml version="1.0"?><Invoice>' + b"<Note>" + b"x" * (100 * 1024 * 1024) + b"</Note></Invoice>"
    status, body = _post(client, (huge, "riesig.xml"))
    assert status == 400 and "larger than the intake limit" in json.dumps(body)
    status, body = _post(client, (b"", "leer.xml"))
    assert status == 400 and "empty" in json.dumps(body)
    assert count(intake, IntakeItem) == 0 and count(intake, Document) == 0
    assert blob_count(intake) == before


@pytest.mark.parametrize(("content", "name"), [(XXE, "xxe.xml"), (LAUGHS, "lachen.xml")])
def test_hostile_xml_is_stored_then_rejected_with_a_clear_error(intake: Services, content: bytes, name: str) -> None:
    received = receive_bytes(intake, content, name)
    process_all(intake)
    rejected = item(intake, received.id)
    assert rejected.status == "rejected" and rejected.case_id is None
    assert name in (rejected.error or "") and ("entit" in (rejected.error or "").lower()
                                                or "dtd" in (rejected.error or "").lower())
    notice = documents_of(intake, file_id=rejected.inbox_file_id)
    assert f"Zurückweisung Ihrer Datei „{name}“" in notice
    assert count(intake, RecordCase) == 0 and count(intake, RecordFile) == 1  # the intake inbox only


def test_the_web_upload_function_acts_for_the_central_unit(intake: Services) -> None:
    content = invoice_path(VALID_UBL).read_bytes()
    with intake.db.unit_of_work() as uow:
        views = receive(uow, intake, CLERK, [Upload(io.BytesIO(content), "rechnung.xml", "application/xml")])
        uow.commit()
    assert views[0].channel == "upload" and views[0].received_by == "clerk"
    with intake.db.session() as session:
        inbox = session.get(RecordFile, views[0].file_id)
        assert inbox is not None and (inbox.owning_unit, inbox.title) == ("21", "Posteingang E-Rechnungen 2026")


def test_the_cli_receives_and_processes_files(intake: Services, tmp_path: Path) -> None:
    import subprocess

    ubl, pdf = invoice_path(VALID_UBL), invoice_path(ZUGFERD)
    missing = tmp_path / "fehlt.xml"
    result = subprocess.run([*AKTE, "einvoice", "receive", str(ubl), str(pdf), str(missing), "--process"],
                            capture_output=True, text=True, env=intake_env(intake), cwd=REPO, timeout=300)
    assert result.returncode == 2, result.stderr
    ids = result.stdout.split()
    assert len(ids) == 2 and f"{missing}: cannot read" in result.stderr
    assert [item(intake, item_id).status for item_id in ids] == ["accepted", "accepted"]
    assert [item(intake, item_id).channel for item_id in ids] == ["cli", "cli"]
    again = subprocess.run([*AKTE, "einvoice", "receive", str(ubl)], capture_output=True, text=True,
                           env=intake_env(intake), cwd=REPO, timeout=300)
    assert again.returncode == 0 and again.stdout.split() == ids[:1] and "already received" in again.stderr
    listed = subprocess.run([*AKTE, "einvoice", "list", "--json"], capture_output=True, text=True,
                            env=intake_env(intake), cwd=REPO, timeout=300)
    assert {entry["id"] for entry in json.loads(listed.stdout)} == set(ids)


def test_a_missing_file_plan_code_is_a_clear_configuration_error(services: Services, tmp_path: Path) -> None:
    intake = intake_services(services, tmp_path, invoice_plan_code="99.99")
    with pytest.raises(Exception, match=r"file plan has no code '99\.99' \(AKTE_INVOICE_PLAN_CODE\)"):
        receive_bytes(intake, invoice_path(VALID_UBL).read_bytes(), "rechnung.xml")
    assert count(intake, IntakeItem) == 0
