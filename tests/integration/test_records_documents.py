"""Documents with immutable versions in the blob store (filesystem on SQLite, S3/moto on PostgreSQL)."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import uuid

import pytest
from sqlalchemy import func, select

from core.bootstrap import Services
from core.errors import Conflict, NotFound, ValidationFailed
from records import documents, files, notes
from records.documents import Upload, add_document, add_version, read_content
from records.models import Document, DocumentVersion
from records.views import CaseView
from tests.conftest import testdata_dir as shared_testdata
from tests.records_helpers import ADMIN, CLERK_A, CLERK_B, add, load_plan, new_case, new_file, upload

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
OCTET = "application/octet-stream"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)


def _read(services: Services, document_id: uuid.UUID, number: int | None = None) -> bytes:
    with services.db.unit_of_work() as uow:
        content = read_content(uow, services.records, ADMIN, document_id, number)
        uow.commit()
    with services.records.blobs.open(content.blob_key) as stream:
        return stream.read()


def _blob_count(services: Services) -> int:
    return sum(1 for _ in services.records.blobs.iter_blobs())


@pytest.fixture
def case(services: Services) -> CaseView:
    load_plan(services)
    return new_case(services, new_file(services))


def test_real_documents_are_stored_with_sniffed_type_size_and_hash(services: Services, case: CaseView) -> None:
    folder = shared_testdata() / "documents"
    expected = {"invoice.pdf": "application/pdf", "typewriter.png": "image/png", "eurotext.tif": "image/tiff",
                "tagged.odt": "application/vnd.oasis.opendocument.text",
                "tbl-2x2-table.docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
    for name, media_type in expected.items():
        content = (folder / name).read_bytes()
        view = add(services, case, content, name, declared=OCTET if name.endswith("docx") else None)
        version = view.versions[0]
        assert (version.number, version.filename, version.media_type) == (1, name, media_type)
        assert version.size == len(content) and version.sha256 == hashlib.sha256(content).hexdigest()
        assert _read(services, view.id) == content


def test_a_new_version_never_overwrites_the_old_one(services: Services, case: CaseView) -> None:
    first = add(services, case, b"Antrag vom 1. Mai\n", "antrag.txt")
    with services.db.unit_of_work() as uow:
        second = add_version(uow, services.records, ADMIN, first.id, upload(b"Antrag, korrigiert\n", "antrag.txt"))
        uow.commit()
    assert [v.number for v in second.versions] == [1, 2] and second.latest_version == 2
    assert _read(services, first.id, 1) == b"Antrag vom 1. Mai\n"
    assert _read(services, first.id) == b"Antrag, korrigiert\n"
    assert second.versions[0] == first.versions[0]
    with services.db.unit_of_work() as uow, pytest.raises(NotFound, match="no version 3"):
        read_content(uow, services.records, ADMIN, first.id, 3)


@pytest.mark.parametrize(("content", "filename", "declared", "message"), [
    (b"", "leer.pdf", None, "leer.pdf is empty"),
    (PNG, "rechnung.pdf", None, "does not match the file name"),
    (PDF, "rechnung.pdf", "image/png", "the content is application/pdf, not image/png as declared"),
    (b"MZ\x90\x00\x03" + bytes(100), "tool.exe", None, "are not accepted"),
    (PDF, "../../etc/passwd", None, "must not contain a path"),
    (PDF, "a\x00b.pdf", None, "control or formatting characters"),
    (PDF, "", None, "has no name"),
])
def test_bad_uploads_are_refused_and_leave_nothing(
    services: Services, case: CaseView, content: bytes, filename: str, declared: str | None, message: str
) -> None:
    blobs_before = _blob_count(services)
    with services.db.unit_of_work() as uow, pytest.raises(ValidationFailed, match=message.replace(".", r"\.")):
        add_document(uow, services.records, ADMIN, upload(content, filename, declared), case_id=case.id)
    assert _blob_count(services) == blobs_before
    with services.db.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(DocumentVersion)) == 0


def test_an_upload_over_the_limit_is_refused_and_leaves_nothing(services: Services, case: CaseView) -> None:
    limited = dataclasses.replace(services.records, max_upload_bytes=1000)
    with services.db.unit_of_work() as uow, pytest.raises(ValidationFailed, match="larger than the limit of 1000"):
        add_document(uow, limited, ADMIN, upload(b"x" * 1001, "gross.txt"), case_id=case.id)
    assert _blob_count(services) == 0


def test_a_failure_after_the_blob_was_written_removes_it(services: Services, case: CaseView) -> None:
    with services.db.unit_of_work() as uow:
        add_document(uow, services.records, ADMIN, upload(b"Entwurf\n", "entwurf.txt"), case_id=case.id)
        assert _blob_count(services) == 1
        # leaving without commit (as an exception would): the transaction rolls back
    assert _blob_count(services) == 0


def test_same_content_twice_survives_a_refused_second_upload(services: Services, case: CaseView) -> None:
    kept = add(services, case, PDF, "a.pdf")
    with services.db.unit_of_work() as uow, pytest.raises(ValidationFailed):
        add_document(uow, services.records, ADMIN, upload(PDF, "a.pdf", "image/png"), case_id=case.id)
    assert _read(services, kept.id) == PDF


def test_unknown_or_invisible_targets_are_not_found(services: Services, case: CaseView) -> None:
    secret_case = new_case(services, new_file(services, unit="unit-b", confidentiality="secret"))
    visible_doc = add(services, case, PDF, "a.pdf")
    hidden_doc = add(services, secret_case, PDF, "b.pdf")
    with services.db.unit_of_work() as uow:
        for case_id in (uuid.uuid4(), "not-a-uuid", secret_case.id):
            with pytest.raises(NotFound):
                add_document(uow, services.records, CLERK_A, upload(PDF, "x.pdf"), case_id=case_id)
        for principal in (CLERK_A, CLERK_B):
            with pytest.raises(NotFound):
                documents.get_document(uow, principal, hidden_doc.id)
            with pytest.raises(NotFound):
                read_content(uow, services.records, principal, hidden_doc.id)
            with pytest.raises(NotFound):
                notes.list_notes(uow, principal, case_id=secret_case.id)
        assert documents.get_document(uow, CLERK_A, visible_doc.id).id == visible_doc.id
        with pytest.raises(NotFound):
            documents.get_document(uow, CLERK_B, visible_doc.id)


def test_closed_files_take_no_new_documents(services: Services, case: CaseView) -> None:
    with services.db.unit_of_work() as uow:
        files.close_file(uow, services.records.clock, ADMIN, case.file_id)
        uow.commit()
    with services.db.unit_of_work() as uow, pytest.raises(Conflict, match="closed"):
        add_document(uow, services.records, ADMIN, upload(PDF, "a.pdf"), case_id=case.id)
    assert _blob_count(services) == 0


def test_documents_can_belong_to_the_file_itself(services: Services, case: CaseView) -> None:
    with services.db.unit_of_work() as uow:
        view = add_document(uow, services.records, ADMIN, Upload(io.BytesIO(b"Schriftverkehr"), "brief.txt"),
                            file_id=case.file_id)
        uow.commit()
        listed = documents.list_documents(uow, ADMIN, file_id=case.file_id)
    assert view.case_id is None and [d.id for d in listed] == [view.id]
    with services.db.unit_of_work() as uow:
        assert uow.session.get(Document, view.id) is not None


def test_a_refused_upload_does_not_take_content_from_one_still_in_flight(services: Services, case: CaseView) -> None:
    with services.db.unit_of_work() as first:  # upload A: stored, not yet committed
        view = add_document(first, services.records, ADMIN, upload(PDF, "a.pdf"), case_id=case.id)
        with services.db.unit_of_work() as second, pytest.raises(ValidationFailed):  # B: same bytes, refused
            add_document(second, services.records, ADMIN, upload(PDF, "b.pdf", "image/png"), case_id=case.id)
        first.commit()
    assert _read(services, view.id) == PDF
