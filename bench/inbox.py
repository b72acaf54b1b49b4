"""Inbox benchmark: N open tasks over 50 groups, 5,000 users and 20 procedures; p50/p95 of inbox pages.

The tables are filled directly (instances, tasks and their inbox entries, written by the engine's own
`engine.taskindex` rules) on a throw-away database. 70% of the tasks are unassigned (one candidate group,
a fifth of them two), 30% are assigned to a user; each procedure is worked by 5 groups; every case has a
`category` (6 values, skewed from 50% down to 1%) and a `district` or `amount`; 90% have a due date, 5% a
follow-up date. The headline query is the issue's: `inbox()` (page and all four counts) for a user in 3
groups, view "groups", filtered by a case field, sorted by due date, first page of 50. Other shapes are
measured too and printed for information.

    python -m bench.inbox [--tasks 1000000] [--backend postgresql|sqlite] [--queries 200] [--headline-only]
                          [--no-page]

Last line: `RESULT tasks=<n> query_p95_ms=<n> page_p95_ms=<n|na>`.

`run(..., measure_page=...)` takes a function that renders the inbox page for the same workload and returns
its timings in milliseconds; without one, page_p95_ms is `na`. `python -m bench.inbox` passes
`bench.inbox_page.measure_page` (the `/inbox` page through the Flask test client, signed in as each sample's
actor; `--no-page` skips it).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table, insert, text

from bench.engine import database_url
from core.db import Database
from core.migrate import upgrade
from engine.actors import TaskActor
from engine.inbox import InboxQuery, inbox
from engine.models import Deployment, HumanTask, HumanTaskEntry, ProcessDefinition, ProcessInstance
from engine.taskindex import CaseColumns, entry_rows

PROCEDURES = [f"proc-{n:02d}" for n in range(20)]
GROUPS = [f"group-{n:02d}" for n in range(50)]
USERS = [f"user-{n:04d}" for n in range(5000)]
CATEGORIES = ["A", "B", "C", "D", "E", "F"]
CATEGORY_WEIGHTS = [50, 25, 12, 8, 4, 1]
SURNAMES = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann"]
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
BATCH = 20_000


@dataclass(frozen=True)
class Workload:
    """What the headline measurement asks: one (actor, query) pair per sample, on the database at `url`."""

    url: str
    samples: list[tuple[TaskActor, InboxQuery]]


PageMeasure = Callable[[Workload], list[float]]  # renders the inbox page per sample; milliseconds each


@dataclass(frozen=True)
class Result:
    tasks: int
    query_p50_ms: float
    query_p95_ms: float
    page_p95_ms: float | None


def procedure_groups(number: int) -> list[str]:
    """The 5 groups that work procedure `number` (each group works two procedures)."""
    return [GROUPS[(number * 5 // 2 + k) % len(GROUPS)] for k in range(5)]


def search_fields(number: int) -> list[str]:
    return ["category", "district"] if number % 2 == 0 else ["category", "amount"]


def _task(rng: random.Random, number: int, definition_id: int) -> tuple[dict[str, Any], HumanTask]:
    procedure = rng.randrange(len(PROCEDURES))
    groups = procedure_groups(procedure)
    data: dict[str, Any] = {"category": rng.choices(CATEGORIES, CATEGORY_WEIGHTS)[0],
                            "applicant_name": f"{rng.choice(SURNAMES)} {number % 9973}"}
    if procedure % 2 == 0:
        data["district"] = f"D{rng.randrange(12):02d}"
    else:
        data["amount"] = rng.randrange(10, 5000)
    instance: dict[str, Any] = {
        "id": uuid.UUID(int=rng.getrandbits(128)), "definition_id": definition_id + procedure,
        "process_key": PROCEDURES[procedure], "business_key": f"32.10.{procedure:02d}-2026/{number:07d}",
        "status": "running", "state": "{}", "serializer_version": "bench", "data": json.dumps(data), "version": 1,
        "started_by": None, "created_at": NOW - timedelta(days=180), "updated_at": NOW, "ended_at": None,
    }
    assigned = rng.random() < 0.3
    row = HumanTask(
        id=uuid.UUID(int=rng.getrandbits(128)), instance_id=instance["id"], definition_id=instance["definition_id"],
        process_key=PROCEDURES[procedure], element_id="work", name=rng.choice(["Antrag prüfen", "Bescheid zeichnen",
                                                                                "Unterlagen nachfordern"]),
        status="open", assignee=rng.choice(USERS) if assigned else None,
        candidate_groups=sorted(set(rng.sample(groups, 2 if rng.random() < 0.2 else 1))),
        due_at=NOW + timedelta(minutes=rng.randrange(-60 * 24 * 60, 60 * 24 * 60)) if rng.random() < 0.9 else None,
        follow_up_at=NOW + timedelta(days=rng.randrange(-10, 10)) if rng.random() < 0.05 else None,
        priority=rng.choice([50, 50, 50, 70, 90]), form_key=None, form_schema=None,
        created_at=NOW - timedelta(minutes=rng.randrange(180 * 24 * 60)), version=1,
    )
    CaseColumns.of(instance["business_key"], f"Verfahren {procedure:02d}", search_fields(procedure), data).apply_to(row)
    return instance, row


TASK_COLUMNS = ["id", "instance_id", "definition_id", "process_key", "element_id", "name", "status", "assignee",
                "candidate_groups", "due_at", "follow_up_at", "priority", "form_key", "form_schema", "created_at",
                "completed_at", "completed_by", "reference", "process_name", "applicant", "case_fields",
                "search_text", "version"]
JSON_COLUMNS = {"candidate_groups", "form_schema", "case_fields", "data"}


def _task_values(row: HumanTask) -> dict[str, Any]:
    return {name: getattr(row, name, None) for name in TASK_COLUMNS}


class Sink:
    """Bulk writer: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def write(self, table: Table, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        columns = list(rows[0])
        if self.db.backend != "postgresql":
            with self.db.engine.begin() as connection:
                connection.execute(insert(table), [self._sqlite(row) for row in rows])
            return
        raw = self.db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([json.dumps(row[c]) if c in JSON_COLUMNS and not isinstance(row[c], str)
                                    else row[c] for c in columns])
            raw.commit()
        finally:
            raw.close()

    @staticmethod
    def _sqlite(row: dict[str, Any]) -> dict[str, Any]:
        return {k: json.loads(v) if k in JSON_COLUMNS and isinstance(v, str) else v for k, v in row.items()}


def fill(db: Database, tasks: int, seed: int = 5) -> None:
    """Write the deployment, 20 definitions, `tasks` instances with one open task each, and their entries."""
    with db.unit_of_work() as uow:
        uow.session.add(Deployment(id=1, created_at=NOW, deployed_by="bench"))
        uow.flush()
        for number, key in enumerate(PROCEDURES):
            uow.session.add(ProcessDefinition(
                id=1 + number, key=key, version=1, name=f"Verfahren {number:02d}", sha256="0" * 64,
                source_file=f"{key}.bpmn", bpmn_xml=b"", spec_json="{}", user_tasks={}, service_tasks={},
                message_starts=[], timer_starts=[], search_fields=search_fields(number), deployment_id=1,
                deployed_at=NOW, deployed_by="bench"))
        uow.commit()
    rng, sink = random.Random(seed), Sink(db)
    instance_table = ProcessInstance.__table__
    task_table, entry_table = HumanTask.__table__, HumanTaskEntry.__table__
    began = time.perf_counter()
    for start in range(0, tasks, BATCH):
        instances, rows = zip(*(_task(rng, n, 1) for n in range(start, min(tasks, start + BATCH))), strict=True)
        sink.write(instance_table, list(instances))  # type: ignore[arg-type]
        sink.write(task_table, [_task_values(row) for row in rows])  # type: ignore[arg-type]
        sink.write(entry_table, [entry for row in rows for entry in entry_rows(row)])  # type: ignore[arg-type]
        done = min(tasks, start + BATCH)
        if done % 200_000 == 0 or done == tasks:
            print(f"  filled {done} tasks ({time.perf_counter() - began:.0f} s)", flush=True)
    with db.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        connection.execute(text("VACUUM ANALYZE" if db.backend == "postgresql" else "ANALYZE"))


def headline_samples(count: int, seed: int = 17) -> list[tuple[TaskActor, InboxQuery]]:
    """A user in 3 groups; view groups; a case-field filter (every category value equally often, so the 1%
    value is as common a question as the 50% one); sorted by due date; first page."""
    rng = random.Random(seed)
    samples = []
    for number in range(count):
        actor = TaskActor(name=rng.choice(USERS), groups=frozenset(rng.sample(GROUPS, 3)))
        field = {"category": CATEGORIES[number % len(CATEGORIES)]}
        samples.append((actor, InboxQuery(view="groups", now=NOW, fields=field, sort="due", limit=50)))
    return samples


def other_shapes(samples: list[tuple[TaskActor, InboxQuery]]) -> dict[str, list[tuple[TaskActor, InboxQuery]]]:
    rng = random.Random(23)

    def vary(**changes: Any) -> list[tuple[TaskActor, InboxQuery]]:
        return [(actor, replace(query, **changes)) for actor, query in samples]

    return {
        "groups, no filter, due": vary(fields={}),
        "groups, procedure, due": [(a, replace(q, fields={}, procedure=rng.choice(PROCEDURES))) for a, q in samples],
        "groups, district D03, due": vary(fields={"district": "D03"}),
        "groups, field + text 'müller'": vary(text="müller"),
        "groups, text: a reference": [(a, replace(q, fields={}, text=f"2026/{n * 7919 % 1_000_000:07d}"))
                                      for n, (a, q) in enumerate(samples)],
        "groups, text: matches nothing": vary(fields={}, text="zzqx"),
        "groups, category + district": vary(fields={"category": "A", "district": "D03"}),
        "groups, no filter, due desc": vary(fields={}, descending=True),
        "groups, no filter, priority desc": vary(fields={}, sort="priority", descending=True),
        "groups, no filter, created": vary(fields={}, sort="created"),
        "groups, no filter, name": vary(fields={}, sort="name"),
        "groups, field, applicant": vary(sort="applicant"),
        "mine, no filter, due": vary(view="mine", fields={}),
        "followup, no filter, due": vary(view="followup", fields={}),
    }


def time_queries(db: Database, samples: list[tuple[TaskActor, InboxQuery]], *, second_page: bool = False
                 ) -> list[float]:
    timings = []
    for actor, query in samples:
        if second_page:
            with db.unit_of_work() as uow:
                query = replace(query, cursor=inbox(uow, actor, query).next_cursor)
        started = time.perf_counter()
        with db.unit_of_work() as uow:
            inbox(uow, actor, query)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(name: str, timings: list[float]) -> None:
    print(f"{name:>34}: p50 {statistics.median(timings):7.1f} ms  p95 {percentile(timings, 0.95):7.1f} ms  "
          f"max {max(timings):7.1f} ms")


def run(tasks: int, backend: str, queries: int, measure_page: PageMeasure | None = None,
        shapes: bool = True) -> Result:
    with database_url(backend) as url:
        db = Database(url)
        upgrade(db)
        began = time.perf_counter()
        fill(db, tasks)
        print(f"{backend}: {tasks} open tasks written in {time.perf_counter() - began:.0f} s")
        samples = headline_samples(queries)
        time_queries(db, samples[:20])  # warm-up
        headline = time_queries(db, samples)
        report("groups, 3 groups, field, due", headline)
        report("same, second page", time_queries(db, samples, second_page=True))
        if shapes:
            for name, varied in other_shapes(samples).items():
                report(name, time_queries(db, varied))
        # HOOK for the rendered page (web): pass measure_page to time the inbox page on the same data
        page = measure_page(Workload(url, samples)) if measure_page is not None else None
        if page:
            report("rendered inbox page", page)
        db.dispose()
    return Result(tasks, statistics.median(headline), percentile(headline, 0.95),
                  percentile(page, 0.95) if page else None)


def main(measure_page: PageMeasure | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--headline-only", action="store_true", help="skip the other query shapes")
    parser.add_argument("--no-page", action="store_true", help="skip the rendered inbox page")
    args = parser.parse_args()
    result = run(args.tasks, args.backend, args.queries, None if args.no_page else measure_page,
                 shapes=not args.headline_only)
    page = f"{result.page_p95_ms:.1f}" if result.page_p95_ms is not None else "na"
    print(f"RESULT tasks={result.tasks} query_p95_ms={result.query_p95_ms:.1f} page_p95_ms={page}")


if __name__ == "__main__":
    from bench.inbox_page import measure_page as measure_inbox_page  # imports the web app (and this module again)

    main(measure_inbox_page)
