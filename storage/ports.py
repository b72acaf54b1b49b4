"""The `BlobStore` port: streamed, hash-while-writing storage of immutable blobs.

Adapters: `storage.filesystem.FileSystemBlobStore` (content-addressed files, atomic rename) and
`storage.s3.S3BlobStore` (MinIO/S3 through the official `minio` client). `storage.factory.open_blob_store`
picks one from `AKTE_BLOB_URL`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, BinaryIO, Protocol

HEAD_BYTES = 8192  # how much of the start of a blob `put` keeps for media-type sniffing


@dataclass(frozen=True)
class BlobRef:
    """Where a blob lives (`key`) and what it is (`sha256` hex digest, `size` in bytes).

    `head` holds the first HEAD_BYTES bytes seen while streaming, so callers can sniff the media type
    without reading the blob a second time; it is not part of the reference's identity.
    """

    key: str
    sha256: str
    size: int
    head: bytes = field(default=b"", compare=False, repr=False)


@dataclass(frozen=True)
class BlobInfo:
    """A blob found by listing the store (for garbage collection)."""

    key: str
    modified_at: datetime


class BlobTooLarge(Exception):
    """The stream was longer than the `max_bytes` given to `put`; nothing was kept."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"larger than the limit of {max_bytes} bytes")
        self.max_bytes = max_bytes


class BlobStore(Protocol):
    def put(self, stream: IO[bytes], *, max_bytes: int | None = None) -> BlobRef:
        """Store `stream` (read in chunks, never whole) and return its reference.

        SHA-256 and size are computed while streaming. Raises `BlobTooLarge` (and keeps nothing) when the
        stream exceeds `max_bytes`. A failure part-way leaves no visible blob behind.
        """
        ...

    def open(self, key: str, *, offset: int = 0, length: int | None = None) -> BinaryIO:
        """A readable binary stream of the blob (or of `length` bytes from `offset`); caller closes it.

        Raises `KeyError` when no blob has this key.
        """
        ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove the blob; deleting a missing key is not an error."""
        ...

    def release(self, key: str) -> None:
        """The upload that `put` this blob will not record it: remove it, unless (content-addressed stores)
        another upload of the same content still holds it."""
        ...

    def iter_blobs(self) -> Iterator[BlobInfo]:
        """Every stored blob with its last-modified time (for `akte storage gc`)."""
        ...

    def remove_stale_partials(self, older_than: datetime) -> int:
        """Remove unfinished uploads (temp files, incomplete multipart uploads) begun before `older_than`.

        Returns how many were removed.
        """
        ...
