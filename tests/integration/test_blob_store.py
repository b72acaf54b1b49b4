"""One contract for every `BlobStore` adapter: filesystem, S3 on moto and, when configured, a real MinIO.

Set AKTE_TEST_MINIO_URL (e.g. http://minioadmin:minioadmin@127.0.0.1:9000) to run it against MinIO too.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO, cast
from urllib.parse import urlsplit

import pytest
from minio import Minio

from core.errors import ConfigurationError
from storage.factory import open_blob_store
from storage.filesystem import FileSystemBlobStore, content_key
from storage.hashing import CHUNK_SIZE
from storage.ports import HEAD_BYTES, BlobStore, BlobTooLarge
from storage.s3 import ABORT_RULE_ID, S3BlobStore

MIB = 1024 * 1024
PART_SIZE = 5 * MIB  # the S3 minimum, so a few MiB already make a multipart upload
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


class GeneratedStream:
    """`size` pseudo-random bytes made on demand (never held whole); optionally fails after `fail_after` bytes.

    The bytes depend only on `seed`, not on how they are read. `largest_read` records the biggest request.
    """

    BLOCK = 64 * 1024

    def __init__(self, size: int, seed: int = 1, fail_after: int | None = None) -> None:
        self._random = random.Random(seed)
        self._left = size
        self._pending = b""
        self._sent = 0
        self._fail_after = fail_after
        self.largest_read = 0

    def read(self, size: int = -1) -> bytes:
        if self._fail_after is not None and self._sent >= self._fail_after:
            raise OSError("the client went away")
        self.largest_read = max(self.largest_read, size)
        wanted = self.BLOCK if size < 0 else size
        while len(self._pending) < wanted and self._left:
            block = min(self.BLOCK, self._left)
            self._pending += self._random.randbytes(block)
            self._left -= block
        chunk, self._pending = self._pending[:wanted], self._pending[wanted:]
        self._sent += len(chunk)
        return chunk


def generated(size: int, seed: int = 1, fail_after: int | None = None) -> BinaryIO:
    return cast(BinaryIO, GeneratedStream(size, seed, fail_after))


def sha256_of(stream: BinaryIO) -> str:
    digest = hashlib.sha256()
    while chunk := stream.read(CHUNK_SIZE):
        digest.update(chunk)
    return digest.hexdigest()


def generated_slice(size: int, seed: int, offset: int, length: int) -> bytes:
    stream = generated(size, seed)
    while offset:
        offset -= len(stream.read(min(offset, CHUNK_SIZE)))
    return stream.read(length)


def read_all(store: BlobStore, key: str, **window: int) -> bytes:
    with store.open(key, **window) as stream:
        return stream.read()


@dataclass
class Adapter:
    store: BlobStore
    missing_key: str  # well-formed, never stored
    leave_partial: Callable[[], None]  # an upload that died without cleaning up
    client: Minio | None = None
    bucket: str = ""


def _filesystem_adapter(root: Path) -> Adapter:
    def leave_partial() -> None:
        (root / "tmp" / f"upload-{uuid.uuid4().hex}.part").write_bytes(b"half an upload")

    return Adapter(FileSystemBlobStore(root), content_key(hashlib.sha256(b"never stored").hexdigest()), leave_partial)


def _s3_adapter(endpoint: str, access_key: str, secret_key: str) -> Iterator[Adapter]:
    parts = urlsplit(endpoint)
    client = Minio(parts.netloc, access_key=access_key, secret_key=secret_key, secure=parts.scheme == "https")
    bucket = f"akte-test-{uuid.uuid4().hex[:16]}"
    store = S3BlobStore(client, bucket, part_size=PART_SIZE)
    store.ensure_bucket()

    def leave_partial() -> None:
        client._create_multipart_upload(bucket, f"blobs/2026/01/{uuid.uuid4().hex}", {})

    yield Adapter(store, f"blobs/2026/01/{uuid.uuid4().hex}", leave_partial, client, bucket)
    store.remove_stale_partials(datetime.now(UTC) + timedelta(days=1))
    for item in client.list_objects(bucket, recursive=True):
        client.remove_object(bucket, item.object_name or "")
    client.remove_bucket(bucket)


def _adapter(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Adapter]:
    if kind == "filesystem":
        yield _filesystem_adapter(tmp_path / "blobs")
    elif kind == "s3":
        yield from _s3_adapter(request.getfixturevalue("moto_s3_endpoint"), "testing", "testing")
    else:
        parts = urlsplit(os.environ["AKTE_TEST_MINIO_URL"])
        endpoint = f"{parts.scheme}://{parts.hostname}:{parts.port}"
        yield from _s3_adapter(endpoint, parts.username or "", parts.password or "")


# the MinIO run joins the contract only where a MinIO server is configured (docker-compose provides one);
# otherwise test_minio_server_is_configured reports the skip once instead of once per contract test
MINIO = ["minio"] if os.environ.get("AKTE_TEST_MINIO_URL") else []


def test_minio_server_is_configured() -> None:
    if not MINIO:
        pytest.skip("set AKTE_TEST_MINIO_URL=http://USER:PASSWORD@HOST:PORT to run the contract against MinIO")


@pytest.fixture(params=["filesystem", "s3", *MINIO])
def adapter(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Adapter]:
    yield from _adapter(request.param, request, tmp_path)


@pytest.fixture(params=["s3", *MINIO])
def s3(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Adapter]:
    yield from _adapter(request.param, request, tmp_path)


@pytest.fixture
def filesystem(tmp_path: Path) -> FileSystemBlobStore:
    store = _filesystem_adapter(tmp_path / "blobs").store
    assert isinstance(store, FileSystemBlobStore)
    return store


def assert_nothing_left(adapter: Adapter) -> None:
    assert list(adapter.store.iter_blobs()) == []
    assert adapter.store.remove_stale_partials(datetime.now(UTC) + timedelta(days=1)) == 0


# --- the contract ---------------------------------------------------------------------------------


def test_put_then_open_gives_back_the_bytes_with_their_sha256_and_size(adapter: Adapter) -> None:
    payload = random.Random(2).randbytes(300_000)
    ref = adapter.store.put(io.BytesIO(payload))
    assert (ref.sha256, ref.size) == (hashlib.sha256(payload).hexdigest(), len(payload))
    assert adapter.store.exists(ref.key)
    assert read_all(adapter.store, ref.key) == payload


def test_head_holds_the_first_bytes(adapter: Adapter) -> None:
    payload = b"%PDF-1.7\n" + random.Random(3).randbytes(3 * HEAD_BYTES)
    assert adapter.store.put(io.BytesIO(payload)).head == payload[:HEAD_BYTES]
    assert adapter.store.put(io.BytesIO(b"short")).head == b"short"


def test_an_empty_stream_is_an_empty_blob(adapter: Adapter) -> None:
    ref = adapter.store.put(io.BytesIO(b""))
    assert (ref.size, ref.sha256, ref.head) == (0, hashlib.sha256(b"").hexdigest(), b"")
    assert read_all(adapter.store, ref.key) == b""


def test_a_40_mib_stream_is_stored_chunk_by_chunk_without_holding_it_whole(adapter: Adapter) -> None:
    size, seed = 40 * MIB, 4
    source = GeneratedStream(size, seed)
    tracemalloc.start()
    try:
        ref = adapter.store.put(cast(BinaryIO, source))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert source.largest_read <= CHUNK_SIZE
    assert peak < size // 2, f"put held {peak} bytes at once"
    assert (ref.size, ref.sha256) == (size, sha256_of(generated(size, seed)))
    with adapter.store.open(ref.key) as stream:
        assert sha256_of(stream) == ref.sha256
    across_a_part_boundary = PART_SIZE - 7
    assert read_all(adapter.store, ref.key, offset=across_a_part_boundary, length=20) == generated_slice(
        size, seed, across_a_part_boundary, 20
    )


@pytest.mark.parametrize(
    ("offset", "length", "expected"),
    [
        (0, 10, slice(0, 10)),
        (10, 100, slice(10, 110)),
        (99_990, None, slice(99_990, None)),
        (99_990, 50, slice(99_990, None)),
        (5, 0, slice(0, 0)),
        (100_000, None, slice(0, 0)),
        (100_000, 5, slice(0, 0)),
        (250_000, None, slice(0, 0)),
    ],
)
def test_open_with_offset_and_length_returns_exactly_that_slice(
    adapter: Adapter, offset: int, length: int | None, expected: slice
) -> None:
    payload = random.Random(5).randbytes(100_000)
    ref = adapter.store.put(io.BytesIO(payload))
    window = {"offset": offset} if length is None else {"offset": offset, "length": length}
    assert read_all(adapter.store, ref.key, **window) == payload[expected]


def test_a_negative_offset_or_length_is_rejected(adapter: Adapter) -> None:
    ref = adapter.store.put(io.BytesIO(b"abc"))
    with pytest.raises(ValueError, match="byte range"):
        adapter.store.open(ref.key, offset=-1)
    with pytest.raises(ValueError, match="byte range"):
        adapter.store.open(ref.key, length=-1)


def test_delete_removes_the_blob_and_deleting_again_is_fine(adapter: Adapter) -> None:
    ref = adapter.store.put(io.BytesIO(b"to be disposed of"))
    adapter.store.delete(ref.key)
    assert not adapter.store.exists(ref.key)
    assert ref.key not in {blob.key for blob in adapter.store.iter_blobs()}
    with pytest.raises(KeyError):
        adapter.store.open(ref.key)
    adapter.store.delete(ref.key)


def test_a_key_that_was_never_stored(adapter: Adapter) -> None:
    assert not adapter.store.exists(adapter.missing_key)
    adapter.store.delete(adapter.missing_key)
    with pytest.raises(KeyError):
        adapter.store.open(adapter.missing_key)
    with pytest.raises(KeyError):
        adapter.store.open(adapter.missing_key, length=0)


@pytest.mark.parametrize(
    "key",
    [
        "../outside",
        "sha256/../../outside",
        "/etc/passwd",
        "",
        "blobs/../x",
        "sha256/ab/cd/" + "0" * 64,
        "blobs/2026/1/" + "0" * 32,
        "blobs/2026/01/" + "0" * 32 + "\n",
    ],
)
def test_malformed_keys_are_rejected(adapter: Adapter, key: str) -> None:
    for operation in (adapter.store.open, adapter.store.exists, adapter.store.delete):
        with pytest.raises(ValueError, match="not a key"):
            operation(key)


def test_a_blob_over_the_limit_raises_and_keeps_nothing(adapter: Adapter) -> None:
    exactly_the_limit = adapter.store.put(io.BytesIO(b"x" * 10), max_bytes=10)
    assert exactly_the_limit.size == 10
    adapter.store.delete(exactly_the_limit.key)
    with pytest.raises(BlobTooLarge):
        adapter.store.put(io.BytesIO(b"x" * 11), max_bytes=10)
    with pytest.raises(BlobTooLarge) as raised:  # past two uploaded parts on S3
        adapter.store.put(generated(12 * MIB), max_bytes=11 * MIB)
    assert raised.value.max_bytes == 11 * MIB
    assert_nothing_left(adapter)


def test_a_source_failing_half_way_leaves_nothing_behind(adapter: Adapter) -> None:
    with pytest.raises(OSError, match="went away"):
        adapter.store.put(generated(20 * MIB, fail_after=12 * MIB))
    with pytest.raises(OSError, match="went away"):
        adapter.store.put(generated(1000, fail_after=0))
    assert_nothing_left(adapter)


def test_iter_blobs_lists_what_was_put(adapter: Adapter) -> None:
    before = datetime.now(UTC) - timedelta(minutes=5)
    keys = {adapter.store.put(io.BytesIO(f"document {number}".encode())).key for number in range(3)}
    listed = list(adapter.store.iter_blobs())
    assert {blob.key for blob in listed} == keys
    assert all(before < blob.modified_at < datetime.now(UTC) + timedelta(minutes=5) for blob in listed)


def test_remove_stale_partials_removes_only_uploads_begun_before_the_cutoff(adapter: Adapter) -> None:
    adapter.leave_partial()
    assert adapter.store.remove_stale_partials(LONG_AGO) == 0
    assert adapter.store.remove_stale_partials(datetime.now(UTC) + timedelta(hours=1)) == 1
    assert adapter.store.remove_stale_partials(datetime.now(UTC) + timedelta(hours=1)) == 0


# --- what only one kind of adapter can show -------------------------------------------------------


def test_filesystem_keeps_one_file_per_content_and_no_temp_files(filesystem: FileSystemBlobStore) -> None:
    first = filesystem.put(io.BytesIO(b"same content"))
    second = filesystem.put(io.BytesIO(b"same content"))
    assert first.key == second.key == content_key(first.sha256)
    assert (filesystem.root / first.key).read_bytes() == b"same content"
    assert list((filesystem.root / "tmp").iterdir()) == []


def test_filesystem_never_touches_a_file_outside_its_root(filesystem: FileSystemBlobStore) -> None:
    outside = filesystem.root.parent / "outside"
    outside.write_bytes(b"keep me")
    with pytest.raises(ValueError, match="not a key"):
        filesystem.delete("../outside")
    with pytest.raises(ValueError, match="not a key"):
        filesystem.open("sha256/../../outside")
    assert outside.read_bytes() == b"keep me"


def test_s3_uploads_large_blobs_in_parts_and_tags_them_with_their_sha256(s3: Adapter) -> None:
    assert s3.client is not None
    ref = s3.store.put(generated(12 * MIB, seed=6))
    stat = s3.client.stat_object(s3.bucket, ref.key)
    assert (stat.size, (stat.etag or "").endswith("-3")) == (12 * MIB, True)  # 5 + 5 + 2 MiB
    assert dict(s3.client.get_object_tags(s3.bucket, ref.key) or {}) == {"sha256": ref.sha256}


def test_s3_bucket_gets_one_abort_incomplete_uploads_rule(s3: Adapter) -> None:
    assert s3.client is not None and isinstance(s3.store, S3BlobStore)
    s3.store.ensure_bucket()
    lifecycle = s3.client.get_bucket_lifecycle(s3.bucket)
    assert lifecycle is not None
    rules = [rule for rule in lifecycle.rules if rule.rule_id == ABORT_RULE_ID]
    assert len(rules) == 1
    assert rules[0].abort_incomplete_multipart_upload is not None
    assert rules[0].abort_incomplete_multipart_upload.days_after_initiation == 1


# --- the factory ----------------------------------------------------------------------------------


def test_factory_opens_a_relative_and_an_absolute_file_url(tmp_path: Path) -> None:
    relative = open_blob_store("file://var/blobs", access_key=None, secret_key=None, base_dir=tmp_path)
    ref = relative.put(io.BytesIO(b"relative"))
    assert (tmp_path / "var" / "blobs" / ref.key).read_bytes() == b"relative"
    absolute = open_blob_store(f"file://{tmp_path}/abs", access_key=None, secret_key=None)
    ref = absolute.put(io.BytesIO(b"absolute"))
    assert (tmp_path / "abs" / ref.key).read_bytes() == b"absolute"


def test_factory_opens_an_s3_url_and_creates_the_bucket(moto_s3_endpoint: str) -> None:
    bucket = f"akte-factory-{uuid.uuid4().hex[:12]}"
    url = f"s3://{bucket}?endpoint={moto_s3_endpoint}&region=eu-central-1"
    store = open_blob_store(url, access_key="testing", secret_key="testing")
    assert isinstance(store, S3BlobStore)
    assert not store.client.bucket_exists(bucket)  # opening the store does not touch the server
    assert read_all(store, store.put(io.BytesIO(b"via the factory")).key) == b"via the factory"
    assert store.client.bucket_exists(bucket)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://somewhere/blobs",
        "var/blobs",
        "file://",
        "s3://akte-documents",
        "s3://?endpoint=http://minio:9000",
        "s3://Not_A_Bucket?endpoint=http://minio:9000",
        "s3://akte-documents/sub/folder?endpoint=http://minio:9000",
        "s3://akte-documents?endpoint=ftp://minio:9000",
        "s3://akte-documents?endpoint=minio:9000",
        "s3://akte-documents?endpoint=http://minio:port",
        "s3://akte-documents?endpoint=http://minio:9000&bucket=other",
    ],
)
def test_factory_rejects_a_bad_url_naming_the_setting(url: str) -> None:
    with pytest.raises(ConfigurationError, match="AKTE_BLOB_URL"):
        open_blob_store(url, access_key="key", secret_key="secret")


def test_factory_needs_both_s3_keys() -> None:
    with pytest.raises(ConfigurationError, match="AKTE_S3_ACCESS_KEY and AKTE_S3_SECRET_KEY"):
        open_blob_store("s3://akte-documents?endpoint=http://minio:9000", access_key="key", secret_key=None)


def test_release_removes_a_blob_only_when_no_other_upload_holds_it(adapter: Adapter) -> None:
    first = adapter.store.put(io.BytesIO(b"gleicher Inhalt"))
    second = adapter.store.put(io.BytesIO(b"gleicher Inhalt"))
    adapter.store.release(second.key)
    assert adapter.store.exists(first.key)  # the first upload still holds the content
    adapter.store.release(first.key)
    assert not adapter.store.exists(first.key) and list(adapter.store.iter_blobs()) == []


def test_filesystem_makes_new_folders_durable_with_the_blob(filesystem: FileSystemBlobStore,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A new blob's file, its new `ab/cd` folders and their parents are fsynced before `put` returns (a crash
    must not lose a blob whose key a committed transaction holds); content stored before syncs nothing."""
    synced: list[Path] = []
    real_fsync = os.fsync

    def fsync(descriptor: int) -> None:
        synced.append(Path(os.readlink(f"/proc/self/fd/{descriptor}")))
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", fsync)
    ref = filesystem.put(io.BytesIO(b"durable"))
    blob = filesystem.root / ref.key
    stored = [path for path in synced if path.name.startswith("upload-")]
    assert len(stored) == 1  # the content, under its temporary name
    assert synced[1:] == [blob.parent.parent.parent, blob.parent.parent, blob.parent]
    synced.clear()
    filesystem.put(io.BytesIO(b"durable"))  # the same content again: nothing new on disk to sync but the upload
    assert [path.name.startswith("upload-") for path in synced] == [True]


def test_filesystem_makes_its_blob_folder_again_when_it_was_removed(filesystem: FileSystemBlobStore) -> None:
    (filesystem.root / "sha256").rmdir()  # empty: nothing stored yet
    ref = filesystem.put(io.BytesIO(b"again"))
    with filesystem.open(ref.key) as stream:
        assert stream.read() == b"again"
