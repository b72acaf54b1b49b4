"""`akte worker` as real OS processes on PostgreSQL: every due timer fires exactly once, with two workers
at the same time and when a worker is killed (SIGKILL) in the middle of its work.

The instances are started on a clock in 2020 (see `bench.timers`), so their PT1H timers are due for the
workers, which run on the system clock. Everything created here is deleted again at the end, so the
session's shared PostgreSQL database stays as the other tests expect it.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, select, text

from bench.timers import (
    PROCESS,
    Tally,
    count_fired,
    jobs_done,
    run_workers_once,
    start_due_timers,
    tally,
    worker_process,
)
from core.db import Base, Database
from core.migrate import upgrade
from engine.models import Deployment, DeploymentResource, ProcessDefinition, ProcessInstance

pytestmark = pytest.mark.postgres

WORKER_TIMEOUT = 300.0


def _purge(db: Database, key: str) -> None:
    """Delete the instances of process `key` with every row that refers to them, and its deployments."""
    instances = select(ProcessInstance.id).where(ProcessInstance.process_key == key)
    with db.engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            if any(fk.column.table is ProcessInstance.__table__ for fk in table.foreign_keys):
                connection.execute(table.delete().where(table.c.instance_id.in_(instances)))
        connection.execute(delete(ProcessInstance).where(ProcessInstance.process_key == key))
        deployments = list(connection.scalars(
            select(ProcessDefinition.deployment_id).where(ProcessDefinition.key == key)))
        connection.execute(delete(ProcessDefinition).where(ProcessDefinition.key == key))
        connection.execute(delete(DeploymentResource).where(DeploymentResource.deployment_id.in_(deployments)))
        connection.execute(delete(Deployment).where(Deployment.id.in_(deployments)))


@pytest.fixture
def db(postgres_url: str) -> Iterator[Database]:
    database = Database(postgres_url)
    upgrade(database)  # idempotent; `database_url` may not have run for this session's PostgreSQL yet
    _purge(database, PROCESS)
    try:
        yield database
    finally:
        _purge(database, PROCESS)
        database.dispose()


def assert_fired_exactly_once(result: Tally, count: int) -> None:
    assert result.instances == count
    assert result.duplicates == 0, f"{result.duplicates} timer(s) fired more than once"
    assert result.lost == 0, f"{result.lost} instance(s) without a fired timer or not completed"
    assert result.jobs_left == 0
    assert result.fired == count


def wait_for_dead_sessions(db: Database, timeout: float = 30.0) -> None:
    """Until no other session of this database is inside a transaction: the killed worker's backend has
    rolled back and released its row lock (else a new worker would rightly SKIP the locked job)."""
    deadline = time.monotonic() + timeout
    query = text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                 "AND backend_type = 'client backend' AND pid <> pg_backend_pid() AND state <> 'idle'")
    while True:
        with db.engine.connect() as connection:
            busy = connection.scalar(query)
        if not busy:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"{busy} session(s) still busy {timeout:g} s after the worker was killed")
        time.sleep(0.1)


def test_two_workers_fire_1000_timers_exactly_once(db: Database, tmp_path: Path) -> None:
    ids = start_due_timers(db.url, tmp_path, 1000)

    run = run_workers_once(db.url, tmp_path, 2, tmp_path, timeout=WORKER_TIMEOUT)

    print(f"two workers: {run.jobs_done} job(s) done in {run.seconds:.1f} s")
    assert_fired_exactly_once(tally(db, ids), 1000)
    assert sum(run.jobs_done) == 1000


def test_worker_killed_mid_batch_leaves_no_timer_lost_or_doubled(db: Database, tmp_path: Path) -> None:
    count = 400
    ids = start_due_timers(db.url, tmp_path, count)

    log = tmp_path / "killed.log"
    with worker_process(db.url, tmp_path, log, once=False, poll_seconds=0.2) as worker:
        deadline = time.monotonic() + WORKER_TIMEOUT
        while (fired := count_fired(db, ids)) < 50:
            assert worker.poll() is None, f"worker exited early:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"only {fired} timer(s) fired in {WORKER_TIMEOUT:g} s"
            time.sleep(0.05)
        os.kill(worker.pid, signal.SIGKILL)
        assert worker.wait(timeout=30) == -signal.SIGKILL
    fired_before_kill = count_fired(db, ids)
    print(f"killed after {fired_before_kill} of {count} timers fired (log: {jobs_done(log)} reported)")
    assert 50 <= fired_before_kill < count, "the worker finished before it was killed: lower the threshold"
    wait_for_dead_sessions(db)

    run = run_workers_once(db.url, tmp_path, 1, tmp_path, timeout=WORKER_TIMEOUT)

    assert run.jobs_done == [count - fired_before_kill]
    assert_fired_exactly_once(tally(db, ids), count)
