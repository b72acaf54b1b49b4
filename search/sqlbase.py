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
)
from sqlalchemy.sql import FromClause

from core.db import Database
from core.errors import ValidationFailed
from search.estimate import Estimation, scaled
from search.models import SearchEntry
from search.ports import Hit, IndexEntry, Scope, SearchResult
from search.query import Query
from search.snippets import snippet
from search.sqlpass import Counts, Ranking, count_and_rank

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


def filter_condition(query: Query, *, dates: bool = True) -> ColumnElement[bool]:
    """Every filter of the query; `dates` False leaves the year and date range out (see date_condition)."""
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
    return and_(true(), *parts, date_condition(query) if dates else true())


def date_condition(query: Query) -> ColumnElement[bool]:
    """The year and date filters, as date ranges (so the created_on index can serve them)."""
    f, parts = query.filters, list[ColumnElement[bool]]()
    if f.years:
        first, last = f.years
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
    newest_settings: tuple[str, ...] = ()  # … and before reading a newest-first page
    statistics_tables: tuple[str, ...] = ("search_entry",)  # what settle() analyses

    def __init__(self, db: Database) -> None:
        self.db = db

    @abstractmethod
    def _text_match(self, query: Query, scope: Scope) -> tuple[FromClause, ColumnElement[bool], ColumnElement[float]]:
        """(the rows to search — search_entry, perhaps joined with the backend's index —, the condition
        for every positive term and no negative one, the relevance score). A backend may narrow a term by what
        `scope` implies (the scope condition still decides)."""

    def _ranked_condition(self, query: Query, scope: Scope, matches: ColumnElement[bool]) -> ColumnElement[bool]:
        """The condition of the relevance pass, which reads every match (the search's condition by default); a
        backend may add what its text index can answer together with the words, or keep the scope and date range
        from its other indexes when the words' index already narrows them (the sample and the newest-first walk
        read rows one by one and keep the search's condition)."""
        return and_(scope_condition(scope), filter_condition(query), matches)

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

    def settle(self) -> None:
        with self.db.engine.begin() as connection:
            for table in self.statistics_tables:
                connection.exec_driver_sql(f"ANALYZE {table}")

    def search(self, query: Query, scope: Scope, *, size: int = 20, cursor: str | None = None) -> SearchResult:
        size = max(1, min(size, 100))
        source, matches, score = self._text_match(query, scope)
        condition = and_(scope_condition(scope), filter_condition(query), matches)
        position = decode_cursor(cursor, 3) if cursor else None
        with self.db.engine.connect() as connection:
            for statement in self.search_settings:  # inside the search's own transaction
                connection.exec_driver_sql(statement)
            estimated = self._estimated(connection, source, condition, query)
            # a cursor keeps the order its first page had, even when the result has grown or shrunk since
            newest = position[0] == NEWEST if position is not None else estimated is not None
            if newest:
                counts = estimated or count_and_rank(connection, source, condition, ENTRY)[0]
                for statement in self.newest_settings:
                    connection.exec_driver_sql(statement)
                page = [(row, NEWEST, 0.0) for row in connection.execute(
                    self._newest_page(source, condition, size, position)).all()]
            else:
                narrowed = self._ranked_condition(query, scope, matches)
                counts, page = self._relevance_page(connection, source, narrowed, Ranking(
                    self._exact_reference(query), score, size + 1, position))
                estimated = None  # counted while ranking
        more = len(page) > size
        page = page[:size]
        needles = [term.text for term in query.positive]
        hits = [Hit(key=row.key, kind=row.kind, file_id=str(row.file_id),
                    case_id=str(row.case_id) if row.case_id else None, reference_number=row.reference_number,
                    title=row.title, snippet=snippet(row.body or row.title, needles), score=float(score))
                for row, _, score in page]
        next_cursor = None
        if page and more:
            row, exact, last_score = page[-1]
            next_cursor = encode_cursor([NEWEST, row.created_on.toordinal(), row.key] if newest
                                        else [exact, last_score, row.key])
        total, facets = counts
        return SearchResult(hits=hits, total=total, facets=facets, next_cursor=next_cursor,
                            total_exact=estimated is None, order="newest" if newest else "relevance")

    @staticmethod
    def _relevance_page(connection: Connection, source: FromClause, condition: ColumnElement[bool],
                        ranking: Ranking) -> tuple[Counts, list[tuple[Any, int, float]]]:
        """Exact counts and the page's (row, exact, score) in relevance order: one pass over the matches,
        then the page's rows by id."""
        counts, ranked = count_and_rank(connection, source, condition, ENTRY, ranking)
        entries = {row.id: row for row in connection.execute(
            select(ENTRY).where(ENTRY.c.id.in_([hit.id for hit in ranked])))}
        return counts, [(entries[hit.id], hit.exact, hit.score) for hit in ranked if hit.id in entries]

    def _estimated(self, connection: Connection, source: FromClause, condition: ColumnElement[bool],
                   query: Query) -> Counts | None:
        """Total and facets estimated from a sample when the result is large (search.estimate), else None.
        Queries naming a reference number are always counted: their results are small, and exact hits rank
        first only in relevance order."""
        if self.estimation is None or query.references:
            return None
        low, high = connection.execute(select(func.min(ENTRY.c.id), func.max(ENTRY.c.id))).one()
        rows = high - low + 1 if low is not None else 0
        percent = self.estimation.sample_percent(rows)
        if percent is None:
            return None
        total, facets = self._sampled_counts(connection, source, condition, percent)
        if scaled(total, percent) <= self.estimation.threshold(rows):
            return None
        return scaled(total, percent), {name: {value: scaled(count, percent) for value, count in counts.items()}
                                        for name, counts in facets.items()}

    def _sampled_counts(self, connection: Connection, source: FromClause, condition: ColumnElement[bool],
                        percent: float) -> Counts:
        """Total and facets over a `percent` % sample of the index: every k-th id here (PostgreSQL samples
        blocks instead, which it can do without reading the rest)."""
        step = max(1, round(100 / percent))
        sampled = condition if step == 1 else and_(condition, ENTRY.c.id % step == 0)
        return count_and_rank(connection, source, sampled, ENTRY)[0]

    @staticmethod
    def _exact_reference(query: Query) -> ColumnElement[int]:
        candidates = list(query.references)
        if not candidates:
            return literal(0)
        return case((SearchEntry.reference_number.in_(candidates), 1), else_=0)

    @staticmethod
    def _newest_page(source: FromClause, condition: ColumnElement[bool], size: int,
                     position: list[Any] | None) -> Select[Any]:
        """Newest first, then by key: the database walks the created_on index and stops after the page."""
        page = (select(ENTRY).select_from(source).where(condition)
                .order_by(SearchEntry.created_on.desc(), SearchEntry.key))
        if position is not None:
            last_day = date.fromordinal(min(max(int(position[1]), 1), date.max.toordinal()))
            page = page.where(SearchEntry.created_on <= last_day, or_(
                SearchEntry.created_on < last_day, SearchEntry.key > str(position[2])))
        return page.limit(size + 1)
