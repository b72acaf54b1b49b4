"""`akte worker`: the loop that fires due timers and runs service-task handlers.

Any number of workers may run against one PostgreSQL database (rows are claimed with SKIP LOCKED, see
`engine.jobs`). SIGTERM/SIGINT finish the current job and stop.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Sequence
from types import FrameType

from core.db import Database
from engine.context import EngineContext
from engine.jobs import run_due_jobs

log = logging.getLogger("akte.worker")


class Worker:
    """Runs due engine jobs, then each of `steps` (other work such as indexing; each returns how much it did)."""

    def __init__(self, db: Database, ctx: EngineContext, *, poll_seconds: float, batch: int = 100,
                 steps: Sequence[Callable[[], int]] = ()) -> None:
        self.db = db
        self.ctx = ctx
        self.poll_seconds = poll_seconds
        self.batch = batch
        self.steps = list(steps)
        self._stop = threading.Event()

    def stop(self) -> None:
        self._stop.set()

    def run_until_idle(self) -> int:
        """Run due jobs and the other steps until none has anything left; returns how many jobs ran."""
        total = 0
        while not self._stop.is_set():
            done = run_due_jobs(self.db, self.ctx, limit=self.batch)
            other = 0
            for step in self.steps:
                if self._stop.is_set():
                    break
                other += step()
            total += done
            if done == 0 and other == 0:
                break
        return total

    def run_forever(self, on_batch: Callable[[int], None] | None = None) -> None:
        while not self._stop.is_set():
            done = self.run_until_idle()
            if done and on_batch is not None:
                on_batch(done)
            self._stop.wait(self.poll_seconds)


def install_signal_handlers(worker: Worker) -> None:
    def handle(signum: int, frame: FrameType | None) -> None:
        log.info("signal %s: stopping after the current job", signum)
        worker.stop()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
