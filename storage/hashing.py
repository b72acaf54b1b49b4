"""Streaming helpers shared by the blob store adapters: hash-while-reading and range checks."""

from __future__ import annotations

import hashlib
from typing import IO

from storage.ports import HEAD_BYTES, BlobRef, BlobTooLarge

CHUNK_SIZE = 1024 * 1024  # the most one `read` takes from the source


class HashingReader:
    """Reads `source` chunk by chunk, computing SHA-256, size and head on the way.

    `read(size)` returns at most `min(size, CHUNK_SIZE)` bytes (a negative size means CHUNK_SIZE, never
    "everything") and `b""` only at the end of the source. Raises `BlobTooLarge` as soon as more than
    `max_bytes` have been read.
    """

    def __init__(self, source: IO[bytes], max_bytes: int | None = None) -> None:
        self._source = source
        self._max_bytes = max_bytes
        self._hash = hashlib.sha256()
        self._size = 0
        self._head = bytearray()

    def read(self, size: int = CHUNK_SIZE) -> bytes:
        wanted = CHUNK_SIZE if size < 0 else min(size, CHUNK_SIZE)
        if wanted == 0:
            return b""
        chunk = self._source.read(wanted)
        if not chunk:
            return b""
        chunk = bytes(chunk)
        self._size += len(chunk)
        if self._max_bytes is not None and self._size > self._max_bytes:
            raise BlobTooLarge(self._max_bytes)
        self._hash.update(chunk)
        if len(self._head) < HEAD_BYTES:
            self._head += chunk[: HEAD_BYTES - len(self._head)]
        return chunk

    @property
    def sha256(self) -> str:
        """Hex digest of everything read so far."""
        return self._hash.hexdigest()

    def ref(self, key: str) -> BlobRef:
        """The reference of what was read, stored under `key`."""
        return BlobRef(key=key, sha256=self.sha256, size=self._size, head=bytes(self._head))


def check_range(offset: int, length: int | None) -> None:
    """Reject a negative `offset` or `length` for `BlobStore.open`."""
    if offset < 0 or (length is not None and length < 0):
        raise ValueError(f"invalid byte range: offset={offset}, length={length}")
