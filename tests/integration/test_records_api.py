"""The e-file JSON API: files, cases with their process, streamed documents with Range and ETag, notes."""

from __future__ import annotations

import dataclasses
import hashlib
import io
from collections.abc import Iterator
from io import BytesIO
from typing import IO

import pytest
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from bench.storage import peak_rss_growth
from core.bootstrap import Services
from tests.records_helpers import load_plan
from tests.web_helpers import api_client

CONTENT = ("Antrag auf Umtausch des Führerscheins\n" * 2000).encode()


@pytest.fixture
def client(services: Services) -> Iterator[FlaskClient]:
    load_plan(services)
    with api_client(services) as test_client:
        yield test_client


def _case(client: FlaskClient) -> dict[str, object]:
    created = client.post("/api/v1/cases", json={
        "title": "Umtausch", "applicant": {"kind": "person", "name": "Erika Mustermann"},
        "file": {"plan_code": "32.10.05", "title": "Mustermann, Erika", "owning_unit": "unit-a",
                 "confidentiality": "confidential"}})
    assert created.status_code == 201, created.json
    body: dict[str, object] = created.json
    return body


def _upload(client: FlaskClient, case_id: object, content: bytes, name: str, **extra: str) -> object:
    return client.post(f"/api/v1/cases/{case_id}/documents", data={"file": (BytesIO(content), name), **extra},
                       content_type="multipart/form-data")


def test_file_case_document_round_trip(client: FlaskClient) -> None:
    case = _case(client)
    assert case["status"] == "open" and str(case["reference_number"]).startswith("32.10.05-")
    uploaded = _upload(client, case["id"], CONTENT, "antrag.txt", title="Antrag")
    assert uploaded.status_code == 201, uploaded.json
    [document] = uploaded.json
    assert document["title"] == "Antrag" and document["versions"][0]["media_type"] == "text/plain"
    url = f"/api/v1/documents/{document['id']}/versions/1/content"
    etag = hashlib.sha256(CONTENT).hexdigest()

    full = client.get(url)
    assert full.status_code == 200 and full.data == CONTENT
    assert full.headers["ETag"] == f'"{etag}"' and full.headers["Content-Type"].startswith("text/plain")
    assert full.headers["Content-Disposition"] == "attachment; filename=\"antrag.txt\"; filename*=UTF-8''antrag.txt"
    assert int(full.headers["Content-Length"]) == len(CONTENT)

    part = client.get(url, headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.data == CONTENT[10:20]
    assert part.headers["Content-Range"] == f"bytes 10-19/{len(CONTENT)}"
    tail = client.get(url, headers={"Range": "bytes=-5"})
    assert tail.status_code == 206 and tail.data == CONTENT[-5:]
    assert client.get(url, headers={"Range": f"bytes={len(CONTENT) + 10}-"}).status_code == 416
    assert client.get(url, headers={"If-None-Match": f'"{etag}"'}).status_code == 304

    file = client.get(f"/api/v1/files/{case['file_id']}").json
    assert [d["id"] for d in file["documents"]] == [document["id"]] and file["confidentiality"] == "confidential"
    changed = client.patch(f"/api/v1/files/{case['file_id']}", json={"follow_up_date": "2026-12-24"}).json
    assert changed["follow_up_date"] == "2026-12-24" and changed["created_at"].startswith("20")
    audit = client.get(f"/api/v1/files/{case['file_id']}/audit").json
    assert {(e["entity_type"], e["action"]) for e in audit} >= {("file", "create"), ("document", "read")}


def test_new_version_and_umlaut_file_names(client: FlaskClient) -> None:
    case = _case(client)
    [document] = _upload(client, case["id"], b"erste Fassung\n", "Bescheid.txt").json
    second = client.post(f"/api/v1/documents/{document['id']}/versions",
                         data={"file": (BytesIO(b"zweite Fassung\n"), "Bescheid-Änderung.txt")},
                         content_type="multipart/form-data")
    assert second.status_code == 201 and second.json["latest_version"] == 2
    old = client.get(f"/api/v1/documents/{document['id']}/versions/1/content")
    new = client.get(f"/api/v1/documents/{document['id']}/versions/2/content?inline=1")
    assert old.data == b"erste Fassung\n" and new.data == b"zweite Fassung\n"
    assert new.headers["Content-Disposition"].startswith('inline; filename="Bescheid-Anderung.txt"')
    assert "filename*=UTF-8''Bescheid-%C3%84nderung.txt" in new.headers["Content-Disposition"]


@pytest.mark.parametrize(("content", "name", "status", "needle"), [
    (b"", "leer.txt", 400, "empty"),
    (b"%PDF-1.4\n%%EOF\n", "../x.pdf", 400, "must not contain a path"),
    (b"\x89PNG\r\n\x1a\n" + bytes(40), "scan.pdf", 400, "the content is image/png"),
])
def test_bad_uploads_get_json_errors(client: FlaskClient, content: bytes, name: str, status: int,
                                     needle: str) -> None:
    case = _case(client)
    response = _upload(client, case["id"], content, name)
    assert response.status_code == status and needle in response.json["error"]["message"]
    assert client.get(f"/api/v1/cases/{case['id']}").json["documents"] == []


def test_missing_things_are_404_and_bad_bodies_400(client: FlaskClient) -> None:
    assert client.get("/api/v1/cases/00000000-0000-0000-0000-000000000000").status_code == 404
    assert client.get("/api/v1/documents/nonsense").json["error"]["code"] == "not_found"
    case = _case(client)
    no_file = client.post(f"/api/v1/cases/{case['id']}/documents", data={}, content_type="multipart/form-data")
    assert no_file.status_code == 400 and no_file.json["error"]["details"] == {"file": "required"}
    bad_file = client.post("/api/v1/files", json={"plan_code": "32.10.05", "title": "x"})
    assert bad_file.status_code == 400 and "owning_unit" in bad_file.json["error"]["message"]
    unknown_plan = client.post("/api/v1/files", json={"plan_code": "99", "title": "x", "owning_unit": "u"})
    assert unknown_plan.status_code == 404


def test_notes_and_closing(client: FlaskClient) -> None:
    case = _case(client)
    note = client.post(f"/api/v1/cases/{case['id']}/notes", json={"text": "Foto fehlt"})
    assert note.status_code == 201
    edited = client.patch(f"/api/v1/notes/{note.json['id']}", json={"text": "Foto nachgereicht"})
    assert edited.json["text"] == "Foto nachgereicht" and edited.json["updated_at"]
    assert client.post(f"/api/v1/cases/{case['id']}/notes", json={"text": " "}).status_code == 400
    closed = client.post(f"/api/v1/cases/{case['id']}/close", json={"outcome": "approved"})
    assert closed.json["status"] == "closed"
    assert client.post(f"/api/v1/cases/{case['id']}/close").status_code == 409
    by_reference = client.get(f"/api/v1/files?reference={case['reference_number']}").json
    assert [f["id"] for f in by_reference] == [case["file_id"]]


def test_uploads_over_the_limit_are_refused_and_leave_nothing(services: Services) -> None:
    load_plan(services)
    limited = dataclasses.replace(
        services, settings=services.settings.model_copy(update={"max_upload_bytes": 1000}),
        records=dataclasses.replace(services.records, max_upload_bytes=1000))
    with api_client(limited) as client:
        case = _case(client)
        over = _upload(client, case["id"], b"x" * 5000, "gross.txt")
        assert over.status_code == 400 and "larger than the limit of 1000 bytes" in over.json["error"]["message"]
        # encoded here: the test client would spool a body this large to a temp file it never closes
        boundary, body = encode_multipart(MultiDict({"file": FileStorage(BytesIO(b"x" * (2 * 1024**2)), "riesig.txt")}))
        far_over = client.post(f"/api/v1/cases/{case['id']}/documents", data=body,
                               content_type=f'multipart/form-data; boundary="{boundary}"')
        assert far_over.status_code == 413 and far_over.json["error"]["code"] == "request_entity_too_large"
        assert client.get(f"/api/v1/cases/{case['id']}").json["documents"] == []
    assert list(services.records.blobs.iter_blobs()) == []


class _MultipartBody(io.RawIOBase):
    """A multipart body of `size` generated bytes, produced while it is read (never held whole)."""

    def __init__(self, boundary: str, filename: str, size: int) -> None:
        super().__init__()
        self._head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
                      "Content-Type: application/pdf\r\n\r\n%PDF-1.7\n").encode()
        self._tail = f"\r\n--{boundary}--\r\n".encode()
        self._left = size
        self._block = bytes(range(256)) * 4096  # 1 MiB
        self.length = len(self._head) + size + len(self._tail)
        self._produced = self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True  # only so far that the test client can measure the length, see seek

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        target = self.length + offset if whence == io.SEEK_END else offset
        if whence == io.SEEK_SET and target != self._produced:
            raise io.UnsupportedOperation("a generated body can only be measured, not rewound")
        self._position = target
        return target

    def readinto(self, target: bytearray | memoryview) -> int:  # type: ignore[override]
        chunk = self._next_chunk(len(target))
        target[:len(chunk)] = chunk
        self._produced += len(chunk)
        self._position = self._produced
        return len(chunk)

    def _next_chunk(self, wanted: int) -> bytes:
        if self._head:
            chunk, self._head = self._head[:wanted], self._head[wanted:]
        elif self._left:
            chunk = self._block[:min(wanted, self._left)]
            self._left -= len(chunk)
        else:
            chunk, self._tail = self._tail[:wanted], self._tail[wanted:]
        return chunk


def test_big_uploads_and_downloads_stream_through_the_api(client: FlaskClient) -> None:
    case = _case(client)
    size = 200 * 1024 * 1024
    body = _MultipartBody("grenze", "plan.pdf", size)
    with peak_rss_growth() as growth:
        uploaded = client.post(f"/api/v1/cases/{case['id']}/documents", input_stream=io.BufferedReader(body),
                               content_length=body.length, content_type='multipart/form-data; boundary="grenze"')
        assert uploaded.status_code == 201, uploaded.json
        [document] = uploaded.json
        assert document["versions"][0]["size"] == size + len(b"%PDF-1.7\n")
        response = client.get(f"/api/v1/documents/{document['id']}/versions/1/content", buffered=False)
        received = sum(len(chunk) for chunk in response.response)
        response.close()
        grown = growth()
    assert received == document["versions"][0]["size"]
    assert grown < 100 * 1024**2, f"memory grew by {grown / 1024**2:.0f} MiB"


def test_a_download_closes_its_blob_however_it_ends(client: FlaskClient, services: Services) -> None:
    case = _case(client)
    [document] = _upload(client, case["id"], CONTENT, "antrag.txt").json
    url = f"/api/v1/documents/{document['id']}/versions/1/content"
    blobs = services.records.blobs
    opened: list[IO[bytes]] = []
    original = blobs.open

    def tracked(key: str, **span: int | None) -> IO[bytes]:
        opened.append(original(key, **span))  # type: ignore[arg-type]
        return opened[-1]

    blobs.open = tracked  # type: ignore[method-assign]
    try:
        assert client.get(url).data == CONTENT  # read to the end
        head = client.head(url)  # no body at all; a WSGI server closes the response, as here
        head.close()
        assert head.status_code == 200
        abandoned = client.get(url, buffered=False)  # the client goes away before reading
        abandoned.close()
    finally:
        blobs.open = original  # type: ignore[method-assign]
    assert [stream.closed for stream in opened] == [True, True, True]
