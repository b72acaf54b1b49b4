"""The e-file commands of `akte`, run as real subprocesses; crash consistency and constant memory."""

from __future__ import annotations

import hashlib
import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from core.bootstrap import Services, bootstrap
from core.db import Database
from core.migrate import upgrade
from core.settings import load_settings
from records.blobgc import collect
from records.models import AuditEntry, DocumentVersion
from storage.filesystem import FileSystemBlobStore
from storage.s3 import S3BlobStore
from tests.helpers import AKTE, akte, akte_env
from tests.records_helpers import PLAN_CSV, add, load_plan, new_case, new_file

PDF_HEAD = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"


def _plan(services: Services, tmp_path: Path) -> None:
    plan = tmp_path / "plan.csv"
    plan.write_text(PLAN_CSV, encoding="utf-8")
    imported = akte(services, "fileplan", "import", str(plan))
    assert imported.returncode == 0, imported.stderr
    assert "5 created, 0 updated" in imported.stderr


def test_file_case_documents_and_audit_by_cli(services: Services, tmp_path: Path) -> None:
    _plan(services, tmp_path)
    created = akte(services, "file", "create", "--plan", "32.10.05", "--title", "Mustermann", "--unit", "unit-a",
                   "--follow-up", "2026-12-24")
    assert created.returncode == 0, created.stderr
    reference = created.stdout.strip()
    assert reference.startswith("32.10.05-") and reference.endswith("/00001")
    case = akte(services, "case", "create", "--file", reference, "--title", "Umtausch",
                "--applicant", '{"kind": "person", "name": "Erika"}')
    assert case.returncode == 0, case.stderr
    case_id = case.stdout.strip()
    letter, photo = tmp_path / "Antrag.txt", tmp_path / "foto.png"
    letter.write_text("Antrag auf Umtausch\n", encoding="utf-8")
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    added = akte(services, "document", "add", case_id, str(letter), str(photo))
    assert added.returncode == 0, added.stderr
    letter_id, _photo_id = added.stdout.split()
    out = tmp_path / "copy.txt"
    fetched = akte(services, "document", "get", letter_id, "-o", str(out))
    assert fetched.returncode == 0, fetched.stderr
    assert out.read_text(encoding="utf-8") == "Antrag auf Umtausch\n"
    shown = akte(services, "file", "show", reference)
    assert shown.returncode == 0, shown.stderr
    assert "Umtausch" in shown.stdout and "Antrag.txt" in shown.stdout and "image/png" in shown.stdout
    assert "follow-up: 2026-12-24" in shown.stdout
    verified = akte(services, "audit", "verify")
    assert verified.returncode == 0 and "intact: 5 entries" in verified.stderr


def test_cli_errors_are_one_line_and_leave_nothing(services: Services, tmp_path: Path) -> None:
    broken_plan = tmp_path / "plan.csv"
    broken_plan.write_text("code,title\n32,Ordnung\n32,Doppelt\n63.01,Waise\n", encoding="utf-8")
    refused = akte(services, "fileplan", "import", str(broken_plan))
    assert refused.returncode == 2
    assert refused.stderr.splitlines() == ["plan.csv:3: duplicate code 32 (first on line 2)"]
    _plan(services, tmp_path)
    case_id = new_case(services, new_file(services)).id
    empty = tmp_path / "leer.pdf"
    empty.write_bytes(b"")
    result = akte(services, "document", "add", str(case_id), str(tmp_path / "Antrag.txt"))
    assert result.returncode == 2 and "no such file" in result.stderr
    ok_file = tmp_path / "ok.txt"
    ok_file.write_text("gut\n", encoding="utf-8")
    result = akte(services, "document", "add", str(case_id), str(ok_file), str(empty))  # all or none
    assert result.returncode == 2 and result.stderr.strip() == "akte: leer.pdf is empty"
    result = akte(services, "document", "add", "00000000-0000-0000-0000-000000000000", str(ok_file))
    assert result.returncode == 3 and "Traceback" not in result.stderr
    with services.db.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(DocumentVersion)) == 0
    assert list(services.records.blobs.iter_blobs()) == []


def test_audit_verify_names_the_broken_entry(services: Services, tmp_path: Path) -> None:
    load_plan(services)
    add(services, new_case(services, new_file(services)), b"Text\n", "a.txt")
    with services.db.engine.begin() as connection:
        connection.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(action="forged"))
    result = akte(services, "audit", "verify")
    assert result.returncode == 4
    assert result.stderr.strip().startswith("akte: audit trail broken at entry 2: its content does not match")


def test_gc_removes_orphans_after_the_grace_period_only(services: Services, tmp_path: Path) -> None:
    load_plan(services)
    kept = add(services, new_case(services, new_file(services)), b"bleibt\n", "a.txt")
    orphan = services.records.blobs.put(io.BytesIO(b"verwaist: die Zeile kam nie an\n"))  # as a crash leaves it
    report = collect(services.db, services.records.blobs, datetime.now(UTC), timedelta(hours=1))
    assert report.removed == 0 and services.records.blobs.exists(orphan.key)
    swept = akte(services, "storage", "gc", "--grace-hours", "0")
    assert swept.returncode == 0, swept.stderr
    assert "2 blobs examined, 1 removed" in swept.stderr
    assert not services.records.blobs.exists(orphan.key)
    with services.db.unit_of_work() as uow:
        kept_key = uow.session.scalars(select(DocumentVersion.blob_key)
                                       .where(DocumentVersion.document_id == kept.id)).one()
    assert services.records.blobs.exists(kept_key)


def test_a_killed_upload_leaves_no_document_and_gc_cleans_up(services: Services, tmp_path: Path) -> None:
    load_plan(services)
    case_id = new_case(services, new_file(services)).id
    fifo = tmp_path / "scan.pdf"
    os.mkfifo(fifo)
    process = subprocess.Popen([*AKTE, "document", "add", str(case_id), str(fifo)],
                               env=akte_env(services), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with fifo.open("wb") as writer:
        writer.write(PDF_HEAD + os.urandom(20 * 1024 * 1024))  # more than one 8 MiB S3 part
        writer.flush()
        _wait_until(lambda: _unfinished_uploads(services) > 0)  # half of it is in the store, unfinished
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    process.stdout.close()  # type: ignore[union-attr]
    process.stderr.close()  # type: ignore[union-attr]
    with services.db.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(DocumentVersion)) == 0
    assert list(services.records.blobs.iter_blobs()) == []
    report = collect(services.db, services.records.blobs, datetime.now(UTC) + timedelta(seconds=1), timedelta(0))
    assert report.removed == 0 and report.partials_removed == 1
    assert _unfinished_uploads(services) == 0


def _unfinished_uploads(services: Services) -> int:
    store = services.records.blobs
    if isinstance(store, S3BlobStore):  # the minio client lists multipart uploads only privately
        return len(store.client._list_multipart_uploads(store.bucket).uploads)
    assert isinstance(store, FileSystemBlobStore)
    return sum(1 for path in (store.root / "tmp").iterdir() if path.stat().st_size > 0)


def _wait_until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the upload to begin"
        time.sleep(0.05)


@pytest.fixture
def sqlite_services(tmp_path: Path) -> Iterator[Services]:
    """SQLite + filesystem only: the gigabyte round trip runs once (S3 streaming is measured by bench.storage)."""
    url = f"sqlite:///{tmp_path / 'big.db'}"
    database = Database(url)
    upgrade(database)
    database.dispose()
    services = bootstrap(load_settings(database_url=url, data_dir=tmp_path, blob_url=f"file://{tmp_path / 'blobs'}"))
    yield services
    services.db.dispose()


def test_a_gigabyte_goes_in_and_out_in_constant_memory(sqlite_services: Services, tmp_path: Path) -> None:
    services = sqlite_services
    load_plan(services)
    case_id = new_case(services, new_file(services)).id
    big = tmp_path / "big.pdf"
    with big.open("wb") as handle:
        handle.write(PDF_HEAD)
        handle.truncate(1024**3)  # sparse: a gigabyte of (mostly) zeros without using the disk
    expected = _sha256(big)
    added, added_peak = _measured(services, "document", "add", str(case_id), str(big))
    assert added.returncode == 0, added.stderr
    out = tmp_path / "out.pdf"
    fetched, fetched_peak = _measured(services, "document", "get", added.stdout.strip(), "-o", str(out))
    assert fetched.returncode == 0, fetched.stderr
    assert _sha256(out) == expected and out.stat().st_size == 1024**3
    # an akte CLI process alone (imports, SQLite) peaks near 100 MiB; a gigabyte read into memory would show
    assert max(added_peak, fetched_peak) < 160, f"peak RSS {added_peak:.0f} / {fetched_peak:.0f} MiB"


# VmHWM is this process's own peak (ru_maxrss would carry the forking parent's peak over the exec)
MEASURED = """
import sys
from web.cli import main
try:
    main()
finally:
    peak = [line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:")][0]
    print("PEAK_RSS_MIB=" + str(int(peak) / 1024), file=sys.stderr)
"""


def _measured(services: Services, *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run `akte ARGS` and report the peak resident memory of that process alone (MiB)."""
    result = subprocess.run([sys.executable, "-c", MEASURED, *args], capture_output=True, text=True,
                            env=akte_env(services), timeout=300)
    peak = float(result.stderr.rsplit("PEAK_RSS_MIB=", 1)[1])
    return result, peak


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(4 * 1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()
