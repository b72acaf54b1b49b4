"""`SqliteSearchIndex`: SQLite FTS5 with the trigram tokenizer (the embedded default, `AKTE_SEARCH_URL=db`).

Trigram tokens find any part of a word — "antrag" in "Bauantrag" — as well as words, prefixes and
phrases; bm25 ranks. Terms shorter than three characters cannot use the trigram index and fall back to
a LIKE scan over the candidate rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    bindparam,
    literal,
    literal_column,
    not_,
    or_,
    select,
    text,
)
from sqlalchemy.sql import FromClause
from sqlalchemy.sql.elements import ColumnClause

from search.models import SearchEntry
from search.ports import Scope
from search.query import Query, Term
from search.sqlbase import ENTRY, SqlSearchIndex, like_pattern

ENTRY_ROWID: ColumnClause[int] = literal_column("search_entry.id")  # the FTS table's rowid


def _fts_phrase(term: Term) -> str:
    return '"' + term.text.replace('"', '""') + '"'


def _indexed(term: Term) -> bool:
    return len(term.text) >= 3


def _like(term: Term) -> ColumnElement[bool]:
    pattern = like_pattern(term.text)
    return or_(*(column.ilike(pattern, escape="\\") for column in
                 (SearchEntry.reference_number, SearchEntry.title, SearchEntry.body)))


def _fts_match(expression: str) -> ColumnElement[bool]:
    return text("search_fts MATCH :fts").bindparams(bindparam("fts", expression, unique=True))  # type: ignore[return-value]


def _excluded(term: Term) -> ColumnElement[bool]:
    if not _indexed(term):
        return not_(_like(term))
    matching: Select[Any] = (select(literal_column("rowid")).select_from(text("search_fts"))
                             .where(_fts_match(_fts_phrase(term))))
    return ENTRY_ROWID.not_in(matching)


class SqliteSearchIndex(SqlSearchIndex):
    name = "sqlite-fts5"

    def _text_match(self, query: Query, scope: Scope) -> tuple[FromClause, ColumnElement[bool], ColumnElement[float]]:
        indexed = [term for term in query.positive if _indexed(term)]
        parts = [_like(term) for term in query.positive if not _indexed(term)]
        parts += [_excluded(term) for term in query.negative]
        if not indexed:
            return ENTRY, and_(literal(True), *parts), literal(0.0)
        ranked = (select(literal_column("rowid").label("rid"), literal_column("-bm25(search_fts)").label("rank"))
                  .select_from(text("search_fts"))
                  .where(_fts_match(" AND ".join(_fts_phrase(term) for term in indexed)))
                  .subquery("fts"))
        return ENTRY.join(ranked, ranked.c.rid == ENTRY_ROWID), and_(literal(True), *parts), ranked.c.rank

    def _write_text(self, connection: Connection, keys: Sequence[str]) -> None:
        connection.execute(text(
            "INSERT INTO search_fts(rowid, reference_number, title, body) "
            "SELECT id, reference_number, title, body FROM search_entry WHERE key IN :keys"
        ).bindparams(bindparam("keys", expanding=True)), {"keys": list(keys)})

    def _remove_text(self, connection: Connection, keys: Sequence[str]) -> None:
        connection.execute(text(
            "DELETE FROM search_fts WHERE rowid IN (SELECT id FROM search_entry WHERE key IN :keys)"
        ).bindparams(bindparam("keys", expanding=True)), {"keys": list(keys)})
