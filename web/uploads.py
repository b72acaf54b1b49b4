"""Multipart uploads read straight from the request body, part by part, without spooling to disk.

Werkzeug's `request.files` writes every file to a temporary file before the view runs. Documents can be
gigabytes: here each file part becomes an `Upload` whose stream reads the part's bytes from the socket as
the blob store asks for them, and nothing is read before the view has checked the case and permissions.
Small form fields (e.g. `title`) must come before the first file part.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import IO

from flask import request
from werkzeug.sansio.multipart import NEED_DATA, Data, Epilogue, Event, Field, File, MultipartDecoder

from core.errors import ValidationFailed
from records.documents import Upload

CHUNK = 64 * 1024
MAX_FIELDS_BYTES = 1024 * 1024  # werkzeug applies it to its whole buffer: keep it well above CHUNK


class MultipartStream:
    """The parts of one `multipart/form-data` body, read lazily from `source`."""

    def __init__(self, source: IO[bytes], boundary: str) -> None:
        self._source = source
        self._decoder = MultipartDecoder(boundary.encode(), max_form_memory_size=MAX_FIELDS_BYTES, max_parts=100)
        self._pending: Event | None = None
        self._ended = False
        self.fields: dict[str, str] = {}

    def _next(self) -> Event:
        if self._pending is not None:
            event, self._pending = self._pending, None
            return event
        try:
            while True:
                event = self._decoder.next_event()
                if event is not NEED_DATA:
                    return event
                chunk = self._source.read(CHUNK)
                if not chunk and self._ended:
                    raise ValueError("the body ended before the closing boundary")
                self._ended = not chunk
                self._decoder.receive_data(chunk or None)
        except ValueError as exc:
            raise ValidationFailed(f"the multipart body is malformed or incomplete: {exc}",
                                   {"file": "malformed"}) from None

    def read_fields(self) -> None:
        """Read the small fields before the first file part (the file part stays unread)."""
        while True:
            event = self._next()
            if isinstance(event, Field):
                self.fields[event.name] = self._field_value()
            elif isinstance(event, File | Epilogue):
                self._pending = event
                return

    def _field_value(self) -> str:
        value = bytearray()
        while True:
            event = self._next()
            if not isinstance(event, Data):
                raise ValidationFailed("the multipart body is malformed", {"file": "malformed"})
            value += event.data
            if not event.more_data:
                return value.decode("utf-8", errors="replace")

    def files(self, field_name: str = "file") -> Iterator[Upload]:
        """The file parts named `field_name`, in order; read each stream to its end before the next."""
        while True:
            event = self._next()
            if isinstance(event, Epilogue):
                return
            if isinstance(event, File) and event.name == field_name:
                declared = event.headers.get("Content-Type")
                yield Upload(io.BufferedReader(_PartReader(self)), event.filename, declared)
            elif isinstance(event, Field):
                self.fields[event.name] = self._field_value()
            elif isinstance(event, File):
                _PartReader(self).readall()  # another file field: skipped

    def next_data(self) -> Data:
        event = self._next()
        if not isinstance(event, Data):
            raise ValidationFailed("the multipart body is malformed", {"file": "malformed"})
        return event


class _PartReader(io.RawIOBase):
    """The bytes of the current file part."""

    def __init__(self, parts: MultipartStream) -> None:
        super().__init__()
        self._parts = parts
        self._buffer = b""
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, target: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._buffer and not self._done:
            data = self._parts.next_data()
            self._buffer, self._done = data.data, not data.more_data
        count = min(len(target), len(self._buffer))
        target[:count] = self._buffer[:count]
        self._buffer = self._buffer[count:]
        return count


MULTIPART_OVERHEAD = 1024 * 1024  # headers and boundaries around the files


def request_parts(max_file_bytes: int, message: str, *, max_files: int = 1) -> MultipartStream:
    """The current request body as lazily read multipart parts (fields before the first file already read);
    bodies larger than `max_files` files of `max_file_bytes` are refused (413); not multipart → `message`."""
    request.max_content_length = max_files * max_file_bytes + MULTIPART_OVERHEAD
    boundary = request.mimetype_params.get("boundary")
    if request.mimetype != "multipart/form-data" or not boundary:
        raise ValidationFailed(message, {"file": "required"})
    parts = MultipartStream(request.stream, boundary)
    parts.read_fields()
    return parts
