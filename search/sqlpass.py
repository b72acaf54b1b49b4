"""One pass over a search's matches for the database backends: the total, every facet and — in relevance
order — the page's ids and scores come from one statement, so the matches are found (and scored) once.

The matching rows go into a materialised CTE; the total, the 20 largest values of each facet and the page
(keyset after the cursor) are read from it and returned as one UNION ALL, told apart by their first column.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Float,
    Integer,
    Select,
    String,
    and_,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.sql import FromClause

from search.ports import FACETS

Counts = tuple[int, dict[str, dict[str, int]]]
PAGE = "#page"  # the first column of the page's rows (facet names never start with #)


@dataclass(frozen=True)
class Ranking:
    """The relevance order: exact reference-number hits first, then by score, then by key."""

    exact: ColumnElement[int]
    score: ColumnElement[float]
    size: int  # rows wanted (one more than the page, to know whether another follows)
    position: Sequence[Any] | None  # (exact, score, key) of the previous page's last hit


@dataclass(frozen=True)
class Ranked:
    id: int
    exact: int
    score: float
    key: str


def _after(position: Sequence[Any], exact: ColumnElement[int], score: ColumnElement[float],
           key: ColumnElement[str]) -> ColumnElement[bool]:
    last_exact, last_score, last_key = position
    return or_(exact < last_exact, and_(exact == last_exact, score < last_score),
               and_(exact == last_exact, score == last_score, key > str(last_key)))


def count_and_rank(connection: Connection, source: FromClause, condition: ColumnElement[bool], rows: FromClause,
                   ranking: Ranking | None = None) -> tuple[Counts, list[Ranked]]:
    """Total and facets of the matches and, with a `ranking`, the page's ids in relevance order.
    `rows`: where the entry columns are in `source` (search_entry itself, or a sample of it)."""
    columns: list[ColumnElement[Any]] = [rows.c.procedure, rows.c.status, rows.c.doc_type,
                                         func.extract("year", rows.c.created_on).label("year")]
    if ranking is not None:
        columns += [rows.c.id, rows.c.key, ranking.exact.label("exact"), ranking.score.label("score")]
    matched = select(*columns).select_from(source).where(condition).cte("matched").prefix_with("MATERIALIZED")
    extra = ([cast(null(), BigInteger), cast(null(), Integer), cast(null(), Float), cast(null(), String)]
             if ranking is not None else [])
    parts: list[Select[Any]] = [select(literal("").label("facet"), literal("").label("value"),
                                       func.count().label("n"), *extra).select_from(matched)]
    for name in FACETS:
        column = matched.c[name]
        top = (select(literal(name).label("facet"), column.cast(String).label("value"), func.count().label("n"))
               .where(column.is_not(None)).group_by(column).order_by(func.count().desc()).limit(20).subquery())
        parts.append(select(top.c.facet, top.c.value, top.c.n, *extra))
    if ranking is not None:
        page = (select(literal(PAGE).label("facet"), literal("").label("value"), literal(0).label("n"),
                       matched.c.id, matched.c.exact, matched.c.score, matched.c.key)
                .order_by(matched.c.exact.desc(), matched.c.score.desc(), matched.c.key).limit(ranking.size))
        if ranking.position is not None:
            page = page.where(_after(ranking.position, matched.c.exact, matched.c.score, matched.c.key))
        paged = page.subquery()
        parts.append(select(*paged.c))
    total = 0
    facets: dict[str, dict[str, int]] = {name: {} for name in FACETS}
    ranked: list[Ranked] = []
    for row in connection.execute(union_all(*parts)):
        if row.facet == PAGE:
            ranked.append(Ranked(id=int(row[3]), exact=int(row[4]), score=float(row[5]), key=str(row[6])))
        elif row.facet == "":
            total = int(row.n)
        else:
            value = str(row.value)
            facets[row.facet][value.split(".")[0] if row.facet == "year" else value] = int(row.n)
    ranked.sort(key=lambda hit: (-hit.exact, -hit.score, hit.key))  # UNION ALL keeps no order
    return (total, facets), ranked
