"""`S3BlobStore`: blobs as objects in one S3/MinIO bucket, through the official `minio` client.

Keys are `blobs/<yyyy>/<mm>/<uuid4 hex>`, not content addresses: S3 cannot rename an object cheaply, and
the hash is only known once the upload is done. The SHA-256 is kept as the object tag `sha256` (tags can
be set after the upload; metadata headers must be sent before the first byte).
"""

from __future__ import annotations

import contextlib
import io
import re
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING, BinaryIO, cast

from minio import Minio
from minio.commonconfig import ENABLED, Filter, Tags
from minio.error import S3Error
from minio.lifecycleconfig import AbortIncompleteMultipartUpload, LifecycleConfig, Rule

from storage.hashing import HashingReader, check_range
from storage.ports import BlobInfo, BlobRef

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer
    from urllib3 import BaseHTTPResponse

PREFIX = "blobs/"
DEFAULT_PART_SIZE = 8 * 1024 * 1024  # minio keeps ~3 parts in memory per upload; S3 minimum is 5 MiB
ABORT_RULE_ID = "akte-abort-incomplete-multipart-uploads"
_KEY = re.compile(r"blobs/[0-9]{4}/[0-9]{2}/[0-9a-f]{32}")
_MISSING = frozenset({"NoSuchKey", "NoSuchObject"})
_UNSUPPORTED = frozenset({"NotImplemented", "NotSupported"})


def _checked(key: str) -> str:
    if not _KEY.fullmatch(key):
        raise ValueError(f"not a key of the S3 blob store: {key!r}")
    return key


def _new_key() -> str:
    now = datetime.now(UTC)
    return f"{PREFIX}{now:%Y}/{now:%m}/{uuid.uuid4().hex}"


class _ObjectStream(io.RawIOBase):
    """The body of a GET response; closing it gives the connection back to the client's pool."""

    def __init__(self, response: BaseHTTPResponse) -> None:
        super().__init__()
        self._response = response

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        with memoryview(buffer) as view, view.cast("B") as target:
            return self._response.readinto(target)

    def close(self) -> None:
        if not self.closed:
            self._response.close()
            self._response.release_conn()
        super().close()


def _abort_uploads_begun_before(client: Minio, bucket: str, cutoff: datetime) -> int:
    """Abort the incomplete multipart uploads under PREFIX begun before `cutoff`; returns how many.

    The `minio` client has no public ListMultipartUploads/AbortMultipartUpload, so this uses its private
    `_list_multipart_uploads` and `_abort_multipart_upload` (minio 7.2); keep every such use here. Pages
    are followed with the last upload seen, because minio 7.2 drops `NextUploadIdMarker` from the result.
    """
    aborted = 0
    key_marker: str | None = None
    upload_id_marker: str | None = None
    while True:
        page = client._list_multipart_uploads(
            bucket, prefix=PREFIX, key_marker=key_marker, upload_id_marker=upload_id_marker
        )
        for upload in page.uploads:
            if upload.upload_id and upload.initiated_time and upload.initiated_time < cutoff:
                client._abort_multipart_upload(bucket, upload.object_name, upload.upload_id)
                aborted += 1
        if not page.is_truncated or not page.uploads:
            return aborted
        key_marker, upload_id_marker = page.uploads[-1].object_name, page.uploads[-1].upload_id


class S3BlobStore:
    """A `BlobStore` in `bucket`; uploads stream in multipart parts of `part_size` bytes (at least 5 MiB)."""

    def __init__(self, client: Minio, bucket: str, part_size: int = DEFAULT_PART_SIZE) -> None:
        self.client = client
        self.bucket = bucket
        self.part_size = part_size
        self._bucket_ready = False
        self._bucket_lock = threading.Lock()

    def _ready(self) -> None:
        """Make sure the bucket exists, once per store, on first use (not at start-up of every command)."""
        if self._bucket_ready:
            return
        with self._bucket_lock:
            if not self._bucket_ready:
                self.ensure_bucket()
                self._bucket_ready = True

    def ensure_bucket(self) -> None:
        """Create the bucket when missing and make the server abort multipart uploads left for a day."""
        if not self.client.bucket_exists(self.bucket):
            try:
                self.client.make_bucket(self.bucket)
            except S3Error as error:  # another process may have created it just now
                if error.code != "BucketAlreadyOwnedByYou":
                    raise
        try:
            self._add_abort_rule()
        except S3Error as error:
            if error.code not in _UNSUPPORTED:
                raise

    def _add_abort_rule(self) -> None:
        current = self.client.get_bucket_lifecycle(self.bucket)
        rules = list(current.rules) if current else []
        if any(rule.rule_id == ABORT_RULE_ID for rule in rules):
            return
        rule = Rule(
            ENABLED,
            rule_filter=Filter(prefix=PREFIX),
            rule_id=ABORT_RULE_ID,
            abort_incomplete_multipart_upload=AbortIncompleteMultipartUpload(days_after_initiation=1),
        )
        self.client.set_bucket_lifecycle(self.bucket, LifecycleConfig([*rules, rule]))

    def put(self, stream: IO[bytes], *, max_bytes: int | None = None) -> BlobRef:
        self._ready()
        reader = HashingReader(stream, max_bytes)
        key = _new_key()
        try:
            # One part at a time: memory stays at one part, and a failing source leaves no upload threads
            # behind (minio's parallel pool is never shut down when reading raises). minio aborts the
            # multipart upload itself when reading or uploading fails.
            source = cast(BinaryIO, reader)  # minio only calls `read(n)`
            self.client.put_object(
                self.bucket, key, source, length=-1, part_size=self.part_size, num_parallel_uploads=1
            )
            tags = Tags.new_object_tags()
            tags["sha256"] = reader.sha256
            self.client.set_object_tags(self.bucket, key, tags)
        except BaseException:
            self._discard(key)
            raise
        return reader.ref(key)

    def _discard(self, key: str) -> None:
        # Best effort after a failed put (the object exists only if the failure came after the upload);
        # the original error matters more, and `akte storage gc` removes an unreferenced leftover anyway.
        with contextlib.suppress(Exception):
            self.client.remove_object(self.bucket, key)

    def open(self, key: str, *, offset: int = 0, length: int | None = None) -> BinaryIO:
        check_range(offset, length)
        if length == 0:  # minio reads length 0 as "to the end"
            if not self.exists(key):
                raise KeyError(key)
            return io.BytesIO()
        try:
            response = self.client.get_object(self.bucket, _checked(key), offset=offset, length=length or 0)
        except S3Error as error:
            if error.code in _MISSING:
                raise KeyError(key) from None
            if error.code == "InvalidRange":  # offset at or after the end
                return io.BytesIO()
            raise
        return io.BufferedReader(_ObjectStream(response))

    def exists(self, key: str) -> bool:
        try:
            self.client.stat_object(self.bucket, _checked(key))
        except S3Error as error:
            if error.code in _MISSING:
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        self.client.remove_object(self.bucket, _checked(key))

    def release(self, key: str) -> None:
        """Every upload has a key of its own: giving it up removes it."""
        self.delete(key)

    def iter_blobs(self) -> Iterator[BlobInfo]:
        self._ready()
        for item in self.client.list_objects(self.bucket, prefix=PREFIX, recursive=True):
            name = item.object_name
            if name and item.last_modified and _KEY.fullmatch(name):
                yield BlobInfo(key=name, modified_at=item.last_modified)

    def remove_stale_partials(self, older_than: datetime) -> int:
        """Abort incomplete multipart uploads begun before `older_than` (the bucket rule does so after a day)."""
        self._ready()
        return _abort_uploads_begun_before(self.client, self.bucket, older_than)
