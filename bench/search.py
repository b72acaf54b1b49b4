"""Search benchmark: index N synthetic German documents into a backend, then time a fixed query mix.

Documents are 80-word texts drawn with Zipf-like frequencies from a German vocabulary with compound
words, spread over 40 units and four confidentiality levels. Queries run as a caseworker of 10 units
(permissions inside the query, as always): one word, two words, a phrase, a prefix, a compound part, and a
word filtered by year. Each query type runs 50 times with different words; each line says how many of its
results were large enough to be estimated (search/estimate.py). After indexing, the index is settled as
`akte reindex` leaves it (planner statistics) and warmed up with 20 untimed queries of each type.

    python -m bench.search [--backend sqlite|postgresql|http://es:9200] [--docs 100000]

Last line: `RESULT backend=<name> docs=<n> index_docs_per_s=<n> p95_ms=<n>` (p95 over all queries).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta

from bench.engine import database_url
from core.db import Database
from core.migrate import upgrade
from search.factory import open_search_index
from search.ports import IndexEntry, Scope, SearchIndex
from search.query import parse_query

STEMS = ["antrag", "bescheid", "gebühr", "führerschein", "gewerbe", "rechnung", "bau", "grundstück", "straße",
         "widerspruch", "frist", "akte", "vorgang", "genehmigung", "anmeldung", "nachweis", "zahlung", "termin",
         "auskunft", "erlaubnis", "steuer", "vertrag", "schule", "kita", "wohnung", "miete", "sozial", "hilfe",
         "unterlagen", "prüfung", "stadt", "amt", "bürger", "verkehr", "parken", "müll", "wasser", "energie"]
WORDS = (STEMS + [a + b for a in STEMS[:20] for b in STEMS[:20] if a != b]
         + [f"wort{n}" for n in range(3000)])
BATCH = 1000
WARM_UP = 20  # untimed queries of each type before the timed ones


def _zipf_words(rng: random.Random, count: int) -> list[str]:
    return [WORDS[min(int(rng.paretovariate(1.1)) - 1, len(WORDS) - 1)] if rng.random() < 0.7
            else rng.choice(WORDS) for _ in range(count)]


def documents(count: int, seed: int = 7) -> Iterator[IndexEntry]:
    rng = random.Random(seed)
    for number in range(count):
        words = _zipf_words(rng, 80)
        yield IndexEntry(
            key=f"document:{uuid.UUID(int=number)}", kind="document", file_id=uuid.UUID(int=10**9 + number // 5),
            case_id=None, reference_number=f"{rng.choice(['32.10.05', '63.01', '20.30'])}-2026/{number:06d}",
            owning_unit=f"unit-{rng.randrange(40)}", confidentiality=rng.choice([0, 1, 1, 1, 2, 3]),
            title=" ".join(words[:4]).title(), body=" ".join(words), procedure=rng.choice(["bau", "kfz", "gewerbe"]),
            status=rng.choice(["in_progress", "completed"]), doc_type=rng.choice(["pdf", "office", "email"]),
            created_on=date(2020, 1, 1) + timedelta(days=rng.randrange(2500)))


def queries(rng: random.Random) -> dict[str, Callable[[], str]]:
    common = WORDS[:60]
    return {
        "one word": lambda: rng.choice(common),
        "two words": lambda: f"{rng.choice(common)} {rng.choice(common)}",
        "phrase": lambda: f'"{rng.choice(STEMS)} {rng.choice(STEMS)}"',
        "prefix": lambda: rng.choice(STEMS)[:4] + "*",
        "compound part": lambda: rng.choice(STEMS[:20])[1:],
        "word + year": lambda: f"{rng.choice(common)} year:{rng.randrange(2020, 2027)}",
    }


@contextmanager
def opened_index(backend: str) -> Iterator[SearchIndex]:
    if backend.startswith("http"):
        yield open_search_index(backend, Database("sqlite://"))
        return
    with database_url(backend) as url:
        database = Database(url)
        upgrade(database)
        try:
            yield open_search_index("db", database)
        finally:
            database.dispose()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="sqlite", help="sqlite, postgresql or an Elasticsearch URL")
    parser.add_argument("--docs", type=int, default=100_000)
    args = parser.parse_args()
    scope = Scope(units=frozenset(f"unit-{n}" for n in range(10)), clearance=2)
    with opened_index(args.backend) as index:
        began, batch = time.perf_counter(), []
        for entry in documents(args.docs):
            batch.append(entry)
            if len(batch) == BATCH:
                index.upsert(batch)
                batch = []
        index.upsert(batch)
        indexing = args.docs / (time.perf_counter() - began)
        print(f"{index.name}: indexed {args.docs} documents, {indexing:.0f} docs/s")
        began = time.perf_counter()
        index.settle()  # as `akte reindex` does after a rebuild (planner statistics)
        print(f"settled in {time.perf_counter() - began:.1f} s")
        warm_up = random.Random(5)  # other words than the timed ones: the index's pages come into memory
        for make in queries(warm_up).values():
            for _ in range(WARM_UP):
                index.search(parse_query(make()), scope, size=20)
        rng, every = random.Random(11), []
        for name, make in queries(rng).items():
            timings, estimated = [], 0
            for _ in range(50):
                query = parse_query(make())
                started = time.perf_counter()
                result = index.search(query, scope, size=20)
                timings.append((time.perf_counter() - started) * 1000)
                estimated += not result.total_exact
            every.extend(timings)
            print(f"{name:>14}: p50 {statistics.median(timings):7.1f} ms  p95 {percentile(timings, 0.95):7.1f} ms  "
                  f"p99 {percentile(timings, 0.99):7.1f} ms  ({estimated}/50 estimated, newest first)")
    print(f"RESULT backend={index.name} docs={args.docs} index_docs_per_s={indexing:.0f} "
          f"p95_ms={percentile(every, 0.95):.1f}")


if __name__ == "__main__":
    main()
