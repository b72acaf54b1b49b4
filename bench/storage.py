"""Storage benchmark: a document upload through akte's `add_document` versus a raw `minio` `put_object` of
the same file to the same moto S3 server, in one run.

akte's path streams the file through SHA-256 hashing and media-type sniffing into the S3 blob store and
commits the version row and audit entry (SQLite). The raw path hands the same file to the minio client.
Peak RSS growth is sampled from /proc while akte uploads.

    python -m bench.storage [--mb 200]

Last line: `RESULT ratio=<akte/raw> rss_growth_mb=<n>` (goal: ratio >= 0.8, growth < 50 MB).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from minio import Minio

from bench.motoserver import moto_server
from core.bootstrap import bootstrap
from core.db import Database
from core.migrate import upgrade
from core.settings import load_settings
from records.access import Principal
from records.cases import create_case
from records.documents import Upload, add_document
from records.fileplan import import_plan, parse_plan_csv
from records.files import NewFile, create_file
from storage.s3 import DEFAULT_PART_SIZE

KEY, SECRET = "bench", "bench-secret"
PAGE = os.sysconf("SC_PAGE_SIZE")


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


@contextmanager
def peak_rss_growth() -> Iterator[Callable[[], int]]:
    """Sample resident memory every 5 ms; the yielded function gives the peak growth over the start."""
    start, peak, running = _rss_bytes(), [0], [True]

    def sample() -> None:
        while running[0]:
            peak[0] = max(peak[0], _rss_bytes())
            time.sleep(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield lambda: max(0, peak[0] - start)
    finally:
        running[0] = False
        sampler.join()


def _test_file(folder: Path, megabytes: int) -> Path:
    path = folder / "scan.pdf"
    block = os.urandom(1024 * 1024)
    with path.open("wb") as handle:
        handle.write(b"%PDF-1.7\n")
        for index in range(megabytes):
            handle.write(block[index % 7:] + block[: index % 7])  # differing blocks, cheap to make
    return path


def _akte_upload(folder: Path, endpoint: str, path: Path) -> tuple[float, int]:
    url = f"sqlite:///{folder / 'akte.db'}"
    database = Database(url)
    upgrade(database)
    database.dispose()
    services = bootstrap(load_settings(database_url=url, data_dir=folder, s3_access_key=KEY, s3_secret_key=SECRET,
                                       blob_url=f"s3://akte-bench-{uuid.uuid4().hex[:8]}?endpoint={endpoint}",
                                       max_upload_bytes=path.stat().st_size + 1))
    admin = Principal.system("bench")
    with services.db.unit_of_work() as uow:
        import_plan(uow, parse_plan_csv("code,title\n1,Bench\n"))
        file = create_file(uow, services.clock, admin, NewFile("1", "Bench", "bench"))
        case = create_case(uow, services.records, admin, file.id, title="Bench")
        uow.commit()
    with open(os.devnull, "rb") as nothing:
        services.records.blobs.put(nothing)  # bucket creation is not part of the upload
    with peak_rss_growth() as growth, path.open("rb") as stream:
        began = time.perf_counter()
        with services.db.unit_of_work() as uow:
            add_document(uow, services.records, admin, Upload(stream, path.name), case_id=case.id)
            uow.commit()
        elapsed = time.perf_counter() - began
        grown = growth()
    services.db.dispose()
    return elapsed, grown


def _raw_upload(endpoint: str, path: Path) -> float:
    client = Minio(urlsplit(endpoint).netloc, access_key=KEY, secret_key=SECRET, secure=False)
    bucket = f"raw-bench-{uuid.uuid4().hex[:8]}"
    client.make_bucket(bucket)
    with path.open("rb") as stream:
        began = time.perf_counter()
        client.put_object(bucket, "scan.pdf", stream, length=path.stat().st_size, part_size=DEFAULT_PART_SIZE)
        return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200, help="size of the uploaded file in MB")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="akte-bench-storage-") as tmp:
        folder = Path(tmp)
        path = _test_file(folder, args.mb)
        megabytes = path.stat().st_size / 1024**2
        with moto_server(folder / "moto.log") as endpoint:
            raw_before = _raw_upload(endpoint, path)
            akte, grown = _akte_upload(folder, endpoint, path)
            raw = min(raw_before, _raw_upload(endpoint, path))  # the faster raw run: a conservative ratio
    print(f"file: {megabytes:.0f} MiB to moto_server (raw: the faster of a run before and after akte's)")
    print(f"raw minio put_object: {megabytes / raw:.1f} MiB/s")
    print(f"akte add_document:    {megabytes / akte:.1f} MiB/s, peak RSS growth {grown / 1024**2:.1f} MiB")
    print(f"RESULT ratio={raw / akte:.2f} rss_growth_mb={grown / 1024**2:.1f}")


if __name__ == "__main__":
    main()
