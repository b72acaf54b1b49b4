"""Timer benchmark: how many due timers `akte worker --once` fires per second on PostgreSQL, with one and
with two worker processes, and whether any timer fired twice or not at all.

Each run gets a fresh throw-away database: N instances of a one-timer process are started on a clock in
2020, so every timer is due by real time; then the worker processes (real OS processes, the installed
`akte` script) fire them. Afterwards every instance must have exactly one `timer_fired` event, status
`completed` and no job row left.

    python -m bench.timers [--timers N]

Last line: `RESULT workers=2 fired_per_s=<n> duplicates=<n> lost=<n>`.

The helpers here (start due timer instances, run worker processes, count what fired) are shared with
tests/integration/test_worker_processes.py.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select, text

from bench.engine import database_url
from core.bootstrap import bootstrap
from core.clock import FrozenClock
from core.db import Database
from core.migrate import upgrade
from core.settings import load_settings
from engine.deploy import deploy
from engine.instances import start_instance
from engine.models import InstanceEvent, Job, ProcessInstance
from engine.workflow.parsing import SourceFile

REPO = Path(__file__).resolve().parents[1]
PROCESS = "timer_only"
MODEL = SourceFile(f"{PROCESS}.bpmn", b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="Definitions_timer_only"
                  targetNamespace="http://akte.example/bpmn">
  <bpmn:process id="timer_only" name="Eine Stunde warten" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait" />
    <bpmn:intermediateCatchEvent id="wait" name="Eine Stunde warten">
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>
""")
PAST = datetime(2020, 1, 1, tzinfo=UTC)  # instances start here, so their PT1H timers are long due
JOBS_DONE = re.compile(r"(\d+) job\(s\) done")


def start_due_timers(url: str, data_dir: Path, count: int, *, batch: int = 100,
                     progress: Callable[[int], None] | None = None) -> list[uuid.UUID]:
    """Deploy the one-timer model and start `count` instances whose timer is due now; returns their ids.

    Started on a frozen clock in the past, `batch` instances per transaction.
    """
    services = bootstrap(load_settings(database_url=url, data_dir=data_dir), clock=FrozenClock(PAST))
    db, ctx = services.db, services.engine
    ids: list[uuid.UUID] = []
    try:
        with db.unit_of_work() as uow:
            deploy(uow, ctx, [MODEL])
            uow.commit()
        while len(ids) < count:
            with db.unit_of_work() as uow:
                views = [start_instance(uow, ctx, PROCESS) for _ in range(min(batch, count - len(ids)))]
                uow.commit()
            ids.extend(uuid.UUID(view.id) for view in views)
            if progress is not None:
                progress(len(ids))
    finally:
        db.dispose()
    return ids


def fired_per_instance(db: Database, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, int]:
    """How many `timer_fired` events each of `ids` has (instances without one are absent)."""
    with db.session() as session:
        rows = session.execute(
            select(InstanceEvent.instance_id, func.count())
            .where(InstanceEvent.kind == "timer_fired", InstanceEvent.instance_id.in_(ids))
            .group_by(InstanceEvent.instance_id)
        )
        return {instance_id: count for instance_id, count in rows}


def count_fired(db: Database, ids: Collection[uuid.UUID]) -> int:
    return sum(fired_per_instance(db, ids).values())


@dataclass(frozen=True)
class Tally:
    """What happened to a set of one-timer instances after the workers ran."""

    instances: int
    fired: int  # timer_fired events in total
    duplicates: int  # instances whose timer fired more than once
    lost: int  # instances whose timer never fired or that did not complete
    jobs_left: int  # job rows still there


def tally(db: Database, ids: Collection[uuid.UUID]) -> Tally:
    fired = fired_per_instance(db, ids)
    with db.session() as session:
        completed = set(session.scalars(
            select(ProcessInstance.id).where(ProcessInstance.id.in_(ids), ProcessInstance.status == "completed")
        ))
        jobs_left = session.scalar(select(func.count()).select_from(Job).where(Job.instance_id.in_(ids))) or 0
    lost = sum(1 for instance_id in ids if instance_id not in fired or instance_id not in completed)
    return Tally(instances=len(ids), fired=sum(fired.values()),
                 duplicates=sum(1 for count in fired.values() if count > 1), lost=lost, jobs_left=jobs_left)


def akte_command() -> list[str]:
    """The installed `akte` script next to this interpreter (the venv's), else the one on PATH."""
    script = Path(sys.executable).parent / "akte"
    if script.is_file():
        return [str(script)]
    found = shutil.which("akte")
    if found is None:
        raise RuntimeError("the `akte` script is not installed (pip install -e .)")
    return [found]


@contextmanager
def worker_process(url: str, data_dir: Path, log: Path, *, once: bool,
                   poll_seconds: float = 1.0) -> Iterator[subprocess.Popen[bytes]]:
    """`akte worker [--once]` as an OS process writing stdout and stderr to `log`; killed if still running
    when the block ends, and always waited for."""
    env = dict(os.environ, AKTE_DATABASE_URL=url, AKTE_DATA_DIR=str(data_dir),
               AKTE_WORKER_POLL_SECONDS=str(poll_seconds))
    with log.open("wb") as out:
        process = subprocess.Popen([*akte_command(), "worker", *(["--once"] if once else [])],
                                   stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env,
                                   cwd=REPO)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=60)


def jobs_done(log: Path) -> int:
    """Jobs a worker reported done in its log (`N job(s) done` lines, summed)."""
    return sum(int(count) for count in JOBS_DONE.findall(log.read_text(errors="replace")))


@dataclass(frozen=True)
class WorkersRun:
    seconds: float  # wall-clock from launching the first worker to the last one's exit
    cpu_seconds: float  # user + system CPU time of the worker processes together
    jobs_done: list[int]  # as each worker reported it


def run_workers_once(url: str, data_dir: Path, workers: int, log_dir: Path, *,
                     timeout: float = 300.0) -> WorkersRun:
    """Run `workers` concurrent `akte worker --once` processes until all exit; raises on a failed exit code
    and TimeoutError (after killing them) when they take longer than `timeout` seconds."""
    logs = [log_dir / f"worker-{number}.log" for number in range(1, workers + 1)]
    cpu_before = _children_cpu()
    started = time.perf_counter()
    with ExitStack() as stack:
        processes = [stack.enter_context(worker_process(url, data_dir, log, once=True)) for log in logs]
        for process, log in zip(processes, logs, strict=True):
            remaining = max(0.1, timeout - (time.perf_counter() - started))
            try:
                code = process.wait(timeout=remaining)
            except subprocess.TimeoutExpired as exc:
                raise TimeoutError(f"workers still running after {timeout:g} s; see {log_dir}") from exc
            if code != 0:
                raise RuntimeError(f"worker exited with {code}:\n{log.read_text(errors='replace')[-3000:]}")
    return WorkersRun(seconds=time.perf_counter() - started, cpu_seconds=_children_cpu() - cpu_before,
                      jobs_done=[jobs_done(log) for log in logs])


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # of the child processes waited for so far
    return usage.ru_utime + usage.ru_stime


def firing_span(db: Database, ids: Collection[uuid.UUID]) -> float:
    """Seconds from the first to the last `timer_fired` event (the workers' own clock, no process start)."""
    with db.session() as session:
        first, last = session.execute(
            select(func.min(InstanceEvent.created_at), func.max(InstanceEvent.created_at))
            .where(InstanceEvent.kind == "timer_fired", InstanceEvent.instance_id.in_(ids))
        ).one()
    return (last - first).total_seconds() if first is not None and last is not None else 0.0


@dataclass(frozen=True)
class Measurement:
    workers: int
    run: WorkersRun
    tally: Tally
    firing_seconds: float

    @property
    def fired_per_s(self) -> float:
        """Over the wall-clock time of the run, worker start-up included."""
        return self.tally.fired / self.run.seconds

    def line(self) -> str:
        return (f"workers={self.workers} timers={self.tally.instances} seconds={self.run.seconds:.2f} "
                f"fired_per_s={self.fired_per_s:.1f} duplicates={self.tally.duplicates} lost={self.tally.lost} "
                f"jobs_left={self.tally.jobs_left} firing_seconds={self.firing_seconds:.2f} "
                f"worker_cpu_seconds={self.run.cpu_seconds:.2f} "
                f"per_worker={','.join(map(str, self.run.jobs_done))}")


def analyze(db: Database) -> None:
    """Refresh the planner statistics, as autovacuum does on a live database within about a minute.

    Right after a bulk start the fresh tables have none: PostgreSQL then estimates one row per table and
    joins job to process_instance in the claim query by a nested loop that compares every due job with
    every running instance (measured: ~20 ms per claim with 500 due timers, against ~1.5 ms after ANALYZE),
    and that grows with the square of the backlog.
    """
    with db.engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()


def measure(timers: int, workers: int, *, with_statistics: bool = True) -> Measurement:
    """One run on a fresh database: start `timers` due instances, fire them with `workers` processes."""
    with database_url("postgresql") as url, tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder)
        db = Database(url)
        try:
            upgrade(db)
            begun = time.perf_counter()
            ids = start_due_timers(url, data_dir, timers, batch=200, progress=_progress(timers))
            print(f"  started {timers} instances in {time.perf_counter() - begun:.1f} s", file=sys.stderr)
            if with_statistics:
                analyze(db)
            run = run_workers_once(url, data_dir, workers, data_dir, timeout=max(600.0, timers / 5))
            return Measurement(workers, run, tally(db, ids), firing_span(db, ids))
        finally:
            db.dispose()


def _progress(total: int) -> Callable[[int], None]:
    """Print `started n/total` to stderr about every tenth of the way."""
    step, reported = max(total // 10, 1), 0

    def report(done: int) -> None:
        nonlocal reported
        if done - reported >= step or done == total:
            reported = done
            print(f"  started {done}/{total}", file=sys.stderr, flush=True)

    return report


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--timers", type=int, default=10_000, help="due timers per run (default 10000)")
    parser.add_argument("--no-analyze", action="store_true",
                        help="skip ANALYZE after the bulk start (planner statistics of empty tables)")
    args = parser.parse_args(argv)
    for workers in (1, 2):
        result = measure(args.timers, workers, with_statistics=not args.no_analyze)
        print(result.line(), flush=True)
    print(f"RESULT workers=2 fired_per_s={result.fired_per_s:.1f} duplicates={result.tally.duplicates} "
          f"lost={result.tally.lost}")


if __name__ == "__main__":
    main()
