"""What the e-file services need from outside, wired once in core.bootstrap."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from core.clock import Clock
from core.db import UnitOfWork
from storage.ports import BlobStore

# status of a process instance ("running", "completed", ...) or None when there is none; supplied by the
# composition root so that records never imports the engine
ProcessStatusLookup = Callable[[UnitOfWork, uuid.UUID], "str | None"]


def no_processes(_uow: UnitOfWork, _instance_id: uuid.UUID) -> str | None:
    return None


@dataclass(frozen=True)
class RecordsContext:
    clock: Clock
    blobs: BlobStore
    max_upload_bytes: int
    process_status: ProcessStatusLookup = no_processes
