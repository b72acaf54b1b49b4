"""`open_blob_store`: the `BlobStore` named by `AKTE_BLOB_URL`.

- `file://var/blobs` (relative to `base_dir`, default the working directory) or `file:///abs/path`
- `s3://BUCKET?endpoint=http://host:9000[&region=eu-central-1]` (https endpoints use TLS)
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import SplitResult, parse_qs, urlsplit

from minio import Minio
from minio.helpers import check_bucket_name

from core.errors import ConfigurationError
from storage.filesystem import FileSystemBlobStore
from storage.ports import BlobStore
from storage.s3 import S3BlobStore

_S3_PARAMETERS = frozenset({"endpoint", "region"})


def _fail(url: str, problem: str) -> ConfigurationError:
    return ConfigurationError(f"AKTE_BLOB_URL {url!r}: {problem}")


def open_blob_store(
    url: str, *, access_key: str | None, secret_key: str | None, base_dir: Path | None = None
) -> BlobStore:
    """The blob store for `url`; an S3 bucket is created when missing. Raises `ConfigurationError`."""
    if url.startswith("file://"):
        return _filesystem_store(url, base_dir or Path.cwd())
    if url.startswith("s3://"):
        return _s3_store(url, access_key, secret_key)
    raise _fail(url, "must start with file:// or s3://")


def _filesystem_store(url: str, base_dir: Path) -> FileSystemBlobStore:
    path = url.removeprefix("file://")
    if not path or "?" in path or "#" in path:
        raise _fail(url, "expected file://DIR (relative) or file:///DIR (absolute)")
    return FileSystemBlobStore(base_dir / path)


def _plain_http_endpoint(endpoint: SplitResult) -> bool:
    try:
        endpoint.port  # noqa: B018 (raises ValueError for a port that is not a number in range)
    except ValueError:
        return False
    return (
        endpoint.scheme in ("http", "https")
        and bool(endpoint.hostname)
        and endpoint.username is None
        and endpoint.path in ("", "/")
        and not endpoint.query
    )


def _s3_store(url: str, access_key: str | None, secret_key: str | None) -> S3BlobStore:
    parts = urlsplit(url)
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = set(query) - _S3_PARAMETERS
    if unknown:
        raise _fail(url, f"unknown parameter(s) {', '.join(sorted(unknown))}; known: endpoint, region")
    bucket = parts.netloc
    try:
        check_bucket_name(bucket, strict=True)
    except ValueError:
        raise _fail(url, "expected s3://BUCKET?endpoint=URL with a valid bucket name") from None
    if parts.path not in ("", "/"):
        raise _fail(url, "a path after the bucket name is not supported")
    endpoint = urlsplit(query.get("endpoint", [""])[-1])
    if not _plain_http_endpoint(endpoint):
        raise _fail(url, "needs endpoint=http://HOST:PORT or endpoint=https://HOST[:PORT]")
    if not access_key or not secret_key:
        raise _fail(url, "needs AKTE_S3_ACCESS_KEY and AKTE_S3_SECRET_KEY")
    region = query.get("region", [""])[-1] or None
    client = Minio(
        endpoint.netloc, access_key=access_key, secret_key=secret_key, secure=endpoint.scheme == "https", region=region
    )
    return S3BlobStore(client, bucket)  # the bucket is created on first use when missing
