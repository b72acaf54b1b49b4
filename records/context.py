"""What the e-file services need from outside, wired once in core.bootstrap."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.clock import Clock
from core.db import UnitOfWork
from storage.ports import BlobStore

# (process key, status such as "running", values of the procedure's search fields) of a process instance,
# or None when there is none; supplied by the composition root so that records never imports the engine
ProcessState = tuple[str, str, dict[str, Any]]
ProcessStateLookup = Callable[[UnitOfWork, uuid.UUID], "ProcessState | None"]


def no_processes(_uow: UnitOfWork, _instance_id: uuid.UUID) -> ProcessState | None:
    return None


@dataclass(frozen=True)
class RecordsContext:
    clock: Clock
    blobs: BlobStore
    max_upload_bytes: int
    process_state: ProcessStateLookup = no_processes
