"""JSON API v1: a document version's content, streamed, with ETag (= SHA-256), single byte ranges and a
download name; every read is audited (the entry commits only once the content could be opened)."""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO
from urllib.parse import quote

from flask import Response, request

from core.errors import Conflict, Unavailable
from records import documents
from records.views import VersionView
from web.api.v1 import bp
from web.principal import current_principal
from web.services import services

CHUNK = 1024 * 1024
# shown in the browser on request (previews); everything else, XML in particular, is only downloaded
INLINE_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp", "text/plain"})
RETRIES = 3  # a read is audited: on SQLite a concurrent writer can make the audit append conflict


def content_disposition(kind: str, filename: str) -> str:
    """RFC 6266: an ASCII fallback name plus the exact UTF-8 name (`filename*`) for umlauts and the like."""
    fallback = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    fallback = fallback.replace("\\", "_").replace('"', "_") or "download"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _headers(version: VersionView) -> dict[str, str]:
    inline = request.args.get("inline") == "1" and version.media_type in INLINE_TYPES
    return {"ETag": f'"{version.sha256}"', "Accept-Ranges": "bytes", "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-cache",
            # uploaded content never runs as part of akte's origin, even if a browser renders it
            "Content-Security-Policy": "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
            "Content-Disposition": content_disposition("inline" if inline else "attachment", version.filename)}


def _wanted_range(version: VersionView) -> tuple[int, int] | None:
    """(start, stop) of the single range asked for and still valid, (0, size) for everything, None if the
    range cannot be satisfied."""
    if_range = request.if_range  # only our ETag keeps a range valid (there is no Last-Modified)
    valid = (if_range.etag is None and if_range.date is None) or if_range.etag == version.sha256
    ranges = request.range if valid else None
    if ranges is None or len(ranges.ranges) != 1:
        return 0, version.size
    return ranges.range_for_length(version.size)


@dataclass(frozen=True)
class _Opened:
    version: VersionView
    status: int  # 200, 206, 304 or 416
    stream: IO[bytes] | None = None
    span: tuple[int, int] = (0, 0)  # start, stop


def _open(document_id: str, number: int) -> _Opened:
    svc = services()
    with svc.db.unit_of_work() as uow:
        content = documents.read_content(uow, svc.records, current_principal(), document_id, number)
        version = content.version
        if request.if_none_match.contains(version.sha256):
            uow.commit()
            return _Opened(version, 304)
        span = _wanted_range(version)
        if span is None:
            return _Opened(version, 416)  # nothing was read: no audit entry
        try:
            stream = svc.records.blobs.open(content.blob_key, offset=span[0], length=span[1] - span[0])
        except KeyError:
            raise Unavailable(f"the content of document {document_id} version {version.number} is missing "
                              "from the document store") from None
        try:
            uow.commit()
        except BaseException:
            stream.close()
            raise
        return _Opened(version, 200 if span == (0, version.size) else 206, stream, span)


def _chunks(stream: IO[bytes]) -> Iterator[bytes]:
    try:
        while chunk := stream.read(CHUNK):
            yield chunk
    finally:  # read to the end, or closed by the server when the client went away
        stream.close()


@bp.get("/documents/<document_id>/versions/<int:number>/content")
def document_content(document_id: str, number: int) -> Response:
    for attempt in range(RETRIES):
        try:
            opened = _open(document_id, number)
            break
        except Conflict:
            if attempt == RETRIES - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    version, headers = opened.version, _headers(opened.version)
    if opened.status == 416:
        return Response(status=416, headers={**headers, "Content-Range": f"bytes */{version.size}"})
    if opened.stream is None:
        return Response(status=opened.status, headers=headers)
    start, stop = opened.span
    if opened.status == 206:
        headers["Content-Range"] = f"bytes {start}-{stop - 1}/{version.size}"
    response = Response(_chunks(opened.stream), status=opened.status, mimetype=version.media_type,
                        headers=headers)
    response.content_length = stop - start
    # also when the body is never sent (HEAD, a client gone before the first chunk): the server closes the
    # response, which runs this — not with direct_passthrough, whose bare iterator skips the response's close
    response.call_on_close(opened.stream.close)
    return response
