"""On SQLite one worker is enough, but a second one running at the same time must not double-fire."""

from __future__ import annotations

from pathlib import Path

from bench.timers import run_workers_once, start_due_timers, tally
from core.db import Database
from core.migrate import upgrade


def test_two_workers_on_sqlite_fire_each_timer_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'akte.db'}"
    db = Database(url)
    upgrade(db)
    ids = start_due_timers(url, tmp_path, 300)

    run = run_workers_once(url, tmp_path, 2, tmp_path, timeout=300)

    result = tally(db, ids)
    db.dispose()
    print(f"two SQLite workers: {run.jobs_done} job(s) done")
    assert (result.fired, result.duplicates, result.lost, result.jobs_left) == (300, 0, 0, 0)
    assert sum(run.jobs_done) == 300  # a job lost to the other worker is not counted as done
