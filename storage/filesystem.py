"""`FileSystemBlobStore`: content-addressed files under one folder, written with an atomic rename.

Layout: `<root>/sha256/ab/cd/<64 hex digits>` holds the blobs (key `sha256/ab/cd/<hex>`), `<root>/tmp`
the uploads in progress. Storing the same content twice keeps one file; `<root>/refs/<hex>` counts the
uploads holding it once there is more than one (a blob without that file has one holder: the common case of
new content costs no second file), so an upload that is refused or rolled back (`release`) never removes
content that a concurrent upload of the same bytes is about to record. Counting happens under one `flock`.
"""

from __future__ import annotations

import fcntl
import io
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, BinaryIO

from storage.hashing import CHUNK_SIZE, HashingReader, check_range
from storage.ports import BlobInfo, BlobRef

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

_KEY = re.compile(r"sha256/(?P<a>[0-9a-f]{2})/(?P<b>[0-9a-f]{2})/(?P=a)(?P=b)[0-9a-f]{60}")


def content_key(sha256: str) -> str:
    """The key of the blob whose SHA-256 hex digest is `sha256`."""
    return f"sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def _modified_at(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)


def _fsync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class _Slice(io.RawIOBase):
    """At most `remaining` bytes of an open file, from its current position."""

    def __init__(self, file: io.BufferedReader, remaining: int) -> None:
        super().__init__()
        self._file = file
        self._remaining = remaining

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        with memoryview(buffer) as view, view.cast("B") as target:
            count = self._file.readinto(target[: min(len(target), self._remaining)])
        self._remaining -= count
        return count

    def close(self) -> None:
        self._file.close()
        super().close()


class FileSystemBlobStore:
    """A `BlobStore` in the folder `root` (created when missing)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._blobs = root / "sha256"
        self._partials = root / "tmp"
        self._refs = root / "refs"
        for folder in (self._blobs, self._partials, self._refs):
            folder.mkdir(parents=True, exist_ok=True)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with (self.root / ".lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield  # the lock goes with the closed file

    def _refs_file(self, key: str) -> Path:
        return self._refs / key.rsplit("/", 1)[1]

    def _count(self, key: str, change: int) -> int:
        """Change the number of uploads holding the stored blob `key` (one when it has no refs file)."""
        path = self._refs_file(key)
        try:
            count = int(path.read_text() or "1")
        except (FileNotFoundError, ValueError):
            count = 1
        count = max(0, count + change)
        if count > 1:
            path.write_text(str(count))
        else:
            path.unlink(missing_ok=True)
        return count

    def _path(self, key: str) -> Path:
        if not _KEY.fullmatch(key):
            raise ValueError(f"not a key of the filesystem blob store: {key!r}")
        return self.root / key

    def put(self, stream: IO[bytes], *, max_bytes: int | None = None) -> BlobRef:
        reader = HashingReader(stream, max_bytes)
        descriptor, name = tempfile.mkstemp(dir=self._partials, prefix="upload-", suffix=".part")
        partial = Path(name)
        try:
            with os.fdopen(descriptor, "wb") as out:
                while chunk := reader.read(CHUNK_SIZE):
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            key = content_key(reader.sha256)
            with self._locked():
                self._keep(partial, key)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return reader.ref(key)

    def _keep(self, partial: Path, key: str) -> None:
        """Move the finished upload to `key` and count its holder (under the lock)."""
        target = self._path(key)
        if target.exists():
            # Same content is already stored: refresh its time so a garbage collection running with a
            # grace period does not take it away from the upload that is about to refer to it.
            partial.unlink()
            os.utime(target)
            self._count(key, +1)
            return
        self._make_folders(target.parent)
        os.replace(partial, target)
        _fsync_directory(target.parent)
        self._refs_file(key).unlink(missing_ok=True)  # new content has one holder (a stale count would be wrong)

    def _make_folders(self, folder: Path) -> None:
        """Create `sha256/ab/cd` as needed (`sha256` too, should it have been removed); a folder made here is made
        durable too (its parent fsynced), or a crash could lose the folder — and the blob in it — after the
        transaction that refers to it committed."""
        for level in (folder.parent.parent, folder.parent, folder):
            try:
                level.mkdir()
            except FileExistsError:
                continue
            _fsync_directory(level.parent)

    def open(self, key: str, *, offset: int = 0, length: int | None = None) -> BinaryIO:
        check_range(offset, length)
        path = self._path(key)
        try:
            file = path.open("rb")
        except FileNotFoundError:
            raise KeyError(key) from None
        file.seek(offset)
        if length is None:
            return file
        return io.BufferedReader(_Slice(file, length))

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        path = self._path(key)
        with self._locked():
            path.unlink(missing_ok=True)
            self._refs_file(key).unlink(missing_ok=True)

    def release(self, key: str) -> None:
        path = self._path(key)
        with self._locked():
            if self._count(key, -1) == 0:
                path.unlink(missing_ok=True)

    def iter_blobs(self) -> Iterator[BlobInfo]:
        for path in self._blobs.glob("??/??/*"):
            key = path.relative_to(self.root).as_posix()
            if not _KEY.fullmatch(key):
                continue
            try:
                modified_at = _modified_at(path)
            except FileNotFoundError:  # deleted while listing
                continue
            yield BlobInfo(key=key, modified_at=modified_at)

    def remove_stale_partials(self, older_than: datetime) -> int:
        removed = 0
        for path in self._partials.iterdir():
            try:
                if path.is_file() and _modified_at(path) < older_than:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:  # finished or removed meanwhile
                continue
        return removed
