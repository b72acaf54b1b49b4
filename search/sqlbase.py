"""What the two database backends share: permission scope, filters, totals, facets and keyset pages over
the `search_entry` table. Each backend supplies how a term matches and how hits are scored."""

from __future__ import annotations

import base64
import binascii
import json
import math
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import date
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    String,
    Table,
    and_,
    case,
    delete,
    false,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.sql import FromClause

from core.db import Database
from core.errors import ConfigurationError, ValidationFailed
from search.estimate import Estimation, scaled
from search.models import SearchEntry
from search.ports import FACETS, Hit, IndexEntry, Scope, SearchResult
from search.query import Query
from search.snippets import snippet

NEWEST = -1  # first value of a cursor whose pages run newest first (then: day number, key)
MAX_BODY_BYTES = 200_000  # of a document's text (UTF-8) are indexed: its tsvector stays far below 1 MB
ENTRY = cast(Table, SearchEntry.__table__)


def encode_cursor(values: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, width: int) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error):
        values = None
    if not isinstance(values, list) or len(values) != width or not _cursor_types(values):
        raise ValidationFailed("the cursor is not one this search handed out", {"cursor": "invalid"})
    if width == 3 and values[0] != NEWEST:
        values[1] = float(values[1])  # an integer too large for the database is a float like any score
    return values


def _cursor_types(values: list[Any]) -> bool:
    """[exact 0|1, finite score, key] or [NEWEST, day number, key] as handed out by the database backends."""
    exact, score, key = values if len(values) == 3 else (0, 0.0, "")
    return (exact in (NEWEST, 0, 1) and not isinstance(exact, bool) and isinstance(score, int | float)
            and not isinstance(score, bool) and math.isfinite(score) and abs(score) < 1e300 and isinstance(key, str))


def indexed_body(body: str) -> str:
    """The text an index keeps: whitespace collapsed (phrases match across line breaks), NULs dropped, at
    most MAX_BODY_BYTES of UTF-8 (cut at a character boundary)."""
    text = " ".join(body.replace("\x00", " ").split())
    return text.encode()[:MAX_BODY_BYTES].decode(errors="ignore")


def row_values(entry: IndexEntry) -> dict[str, Any]:
    values = asdict(entry)
    values["body"] = indexed_body(entry.body)
    return values


def scope_condition(scope: Scope) -> ColumnElement[bool]:
    condition = SearchEntry.confidentiality <= scope.clearance
    if scope.units is None:
        return condition
    if not scope.units:
        return false()
    return and_(SearchEntry.owning_unit.in_(sorted(scope.units)), condition)


def filter_condition(query: Query) -> ColumnElement[bool]:
    f = query.filters
    parts: list[ColumnElement[bool]] = []
    if f.reference:
        parts.append(SearchEntry.reference_number.startswith(f.reference[:-1], autoescape=True)
                     if f.reference.endswith("*") else SearchEntry.reference_number == f.reference)
    if f.types:
        parts.append(or_(SearchEntry.doc_type.in_(f.types), SearchEntry.kind.in_(f.types)))
    for column, values in ((SearchEntry.procedure, f.procedures), (SearchEntry.status, f.statuses),
                           (SearchEntry.kind, f.kinds)):
        if values:
            parts.append(column.in_(values))
    if f.years:
        first, last = f.years  # as a date range, so the created_on index serves it
        parts.append(SearchEntry.created_on.between(date(first, 1, 1), date(last, 12, 31)))
    if f.dates:
        parts.append(SearchEntry.created_on.between(*f.dates))
    return and_(true(), *parts)


def like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class SqlSearchIndex(ABC):
    """Template for the database backends; subclasses add matching, scoring and their text index."""

    name = "db"
    estimation: Estimation | None = None  # None: every result is counted exactly and ranked by relevance
    search_settings: tuple[str, ...] = ()  # SET LOCAL statements a backend wants for its searches

    def __init__(self, db: Database) -> None:
        self.db = db

    @abstractmethod
    def _text_match(self, query: Query) -> tuple[FromClause, ColumnElement[bool], ColumnElement[float]]:
        """(the rows to search — search_entry, perhaps joined with the backend's index —, the condition
        for every positive term and no negative one, the relevance score)."""

    @abstractmethod
    def _write_text(self, connection: Connection, keys: Sequence[str]) -> None:
        """Bring the backend's text index up to date for `keys` (already written to search_entry)."""

    @abstractmethod
    def _remove_text(self, connection: Connection, keys: Sequence[str]) -> None:
        """Drop the backend's text index rows of `keys` (before their search_entry rows go)."""

    @contextmanager
    def _connection(self, bind: Connection | None) -> Iterator[Connection]:
        if bind is not None:
            yield bind
        else:
            with self.db.engine.begin() as connection:
                yield connection

    def upsert(self, entries: Sequence[IndexEntry], *, bind: Connection | None = None) -> None:
        latest = {entry.key: entry for entry in entries}  # one row per key, the last one wins
        if not latest:
            return
        keys = list(latest)
        with self._connection(bind) as connection:
            self._remove_text(connection, keys)
            connection.execute(delete(ENTRY).where(ENTRY.c.key.in_(keys)))
            connection.execute(ENTRY.insert(), [row_values(entry) for entry in latest.values()])
            self._write_text(connection, keys)

    def delete(self, keys: Sequence[str], *, bind: Connection | None = None) -> None:
        if not keys:
            return
        with self._connection(bind) as connection:
            self._remove_text(connection, list(keys))
            connection.execute(delete(ENTRY).where(ENTRY.c.key.in_(list(keys))))

    def clear(self) -> None:
        with self.db.engine.begin() as connection:
            keys = list(connection.scalars(select(ENTRY.c.key)))
            self._remove_text(connection, keys)
            connection.execute(delete(ENTRY))

    def search(self, query: Query, scope: Scope, *, size: int = 20, cursor: str | None = None) -> SearchResult:
        size = max(1, min(size, 100))
        source, matches, score = self._text_match(query)
        condition = and_(scope_condition(scope), filter_condition(query), matches)
        position = decode_cursor(cursor, 3) if cursor else None
        with self.db.engine.connect() as connection:
            for statement in self.search_settings:  # inside the search's own transaction
                connection.exec_driver_sql(statement)
            estimated = self._estimated(connection, source, condition, query)
            total, facets = estimated if estimated is not None else self._counts(connection, source, condition)
            # a cursor keeps the order its first page had, even when the result has grown or shrunk since
            newest = position[0] == NEWEST if position is not None else estimated is not None
            page = (self._newest_page(source, condition, size, position) if newest
                    else self._page(source, condition, self._exact_reference(query), score, size, position))
            rows = connection.execute(page).all()
        more = len(rows) > size
        rows = rows[:size]
        needles = [term.text for term in query.positive]
        hits = [Hit(key=row.key, kind=row.kind, file_id=str(row.file_id),
                    case_id=str(row.case_id) if row.case_id else None, reference_number=row.reference_number,
                    title=row.title, snippet=snippet(row.body or row.title, needles), score=float(row.score))
                for row in rows]
        last = rows[-1] if rows and more else None
        next_cursor = None
        if last is not None:
            next_cursor = encode_cursor([NEWEST, last.created_on.toordinal(), last.key] if newest
                                        else [int(last.exact), float(last.score), last.key])
        return SearchResult(hits=hits, total=total, facets=facets, next_cursor=next_cursor,
                            total_exact=estimated is None, order="newest" if newest else "relevance")

    def _estimated(self, connection: Connection, source: FromClause, condition: ColumnElement[bool],
                   query: Query) -> tuple[int, dict[str, dict[str, int]]] | None:
        """Total and facets estimated from a sample when the result is large (search.estimate), else None.
        Queries naming a reference number are always counted: their results are small, and exact hits rank
        first only in relevance order."""
        if self.estimation is None or any("/" in term.text for term in query.positive):
            return None
        low, high = connection.execute(select(func.min(ENTRY.c.id), func.max(ENTRY.c.id))).one()
        percent = self.estimation.sample_percent(high - low + 1 if low is not None else 0)
        if percent is None:
            return None
        total, facets = self._sampled_counts(connection, source, condition, percent)
        if scaled(total, percent) <= self.estimation.above:
            return None
        return scaled(total, percent), {name: {value: scaled(count, percent) for value, count in counts.items()}
                                        for name, counts in facets.items()}

    def _sampled_counts(self, connection: Connection, source: FromClause, condition: ColumnElement[bool],
                        percent: float) -> tuple[int, dict[str, dict[str, int]]]:
        """`_counts` over a random `percent` % of the index; a backend with an `estimation` provides it."""
        raise ConfigurationError(f"{self.name} cannot sample; set its estimation to None")

    @staticmethod
    def _exact_reference(query: Query) -> ColumnElement[int]:
        candidates = [term.text for term in query.positive if "/" in term.text]
        if not candidates:
            return literal(0)
        return case((SearchEntry.reference_number.in_(candidates), 1), else_=0)

    @staticmethod
    def _counts(connection: Connection, source: FromClause, condition: ColumnElement[bool],
                rows: FromClause = ENTRY) -> tuple[int, dict[str, dict[str, int]]]:
        """The total and every facet in one statement: the matching rows are found once (a materialised
        CTE), then counted per facet (the 20 largest values each). `rows`: where source's entry columns are
        (search_entry itself, or a sample of it)."""
        matched = (select(rows.c.procedure, rows.c.status, rows.c.doc_type,
                          func.extract("year", rows.c.created_on).label("year"))
                   .select_from(source).where(condition).cte("matched").prefix_with("MATERIALIZED"))
        parts: list[Select[str, str, int]] = [select(literal("").label("facet"), literal("").label("value"),
                                           func.count().label("n")).select_from(matched)]
        for name in FACETS:
            column = matched.c[name]
            top = (select(literal(name).label("facet"), column.cast(String).label("value"), func.count().label("n"))
                   .where(column.is_not(None)).group_by(column).order_by(func.count().desc()).limit(20).subquery())
            parts.append(select(top.c.facet, top.c.value, top.c.n))
        total = 0
        facets: dict[str, dict[str, int]] = {name: {} for name in FACETS}
        for row in connection.execute(union_all(*parts)):
            if row.facet == "":
                total = int(row.n)
            else:
                value = str(row.value)
                facets[row.facet][value.split(".")[0] if row.facet == "year" else value] = int(row.n)
        return total, facets

    @staticmethod
    def _page(source: FromClause, condition: ColumnElement[bool], exact: ColumnElement[int],
              score: ColumnElement[float], size: int, position: list[Any] | None) -> Select[Any]:
        page = (select(ENTRY, exact.label("exact"), score.label("score")).select_from(source).where(condition)
                .order_by(exact.desc(), score.desc(), SearchEntry.key))
        if position is not None:
            last_exact, last_score, last_key = position
            page = page.where(or_(
                exact < last_exact,
                and_(exact == last_exact, score < last_score),
                and_(exact == last_exact, score == last_score, SearchEntry.key > str(last_key)),
            ))
        return page.limit(size + 1)

    @staticmethod
    def _newest_page(source: FromClause, condition: ColumnElement[bool], size: int,
                     position: list[Any] | None) -> Select[Any]:
        """Newest first, then by key: the database walks the created_on index and stops after the page."""
        page = (select(ENTRY, literal(NEWEST).label("exact"), literal(0.0).label("score")).select_from(source)
                .where(condition).order_by(SearchEntry.created_on.desc(), SearchEntry.key))
        if position is not None:
            last_day = date.fromordinal(min(max(int(position[1]), 1), date.max.toordinal()))
            page = page.where(SearchEntry.created_on <= last_day, or_(
                SearchEntry.created_on < last_day, SearchEntry.key > str(position[2])))
        return page.limit(size + 1)
