"""`PostgresSearchIndex`: PostgreSQL full text with the `german` configuration plus trigram matching.

A term matches when the stemmed `tsvector` matches it ("Anträge" finds "Antrag") or when it is a part of
the text ("antrag" finds "Bauantrag"; pg_trgm's GIN index answers the LIKE); `ts_rank_cd` ranks.
Both indexes and the generated `tsv` column are made by migration 0005.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Connection, Float, and_, func, literal, literal_column, not_, or_, true
from sqlalchemy.sql import FromClause

from search.query import Query, Term
from search.sqlbase import ENTRY, SqlSearchIndex, like_pattern

TSV: ColumnElement[str] = literal_column("search_entry.tsv")
# the exact expression of ix_search_entry_trgm, so the planner uses that index for LIKE
HAYSTACK: ColumnElement[str] = literal_column(
    "lower(search_entry.reference_number || ' ' || search_entry.title || ' ' || search_entry.body)")


def _tsquery(term: Term) -> ColumnElement[str]:
    if term.phrase:
        return func.phraseto_tsquery("german", term.text)
    if term.prefix:
        return func.to_tsquery("german", func.quote_literal(term.text).concat(":*"))
    return func.plainto_tsquery("german", term.text)


def _matches(term: Term) -> ColumnElement[bool]:
    return or_(TSV.op("@@")(_tsquery(term)), HAYSTACK.like(like_pattern(term.text.lower()), escape="\\"))


class PostgresSearchIndex(SqlSearchIndex):
    name = "postgresql-fts"

    def _text_match(self, query: Query) -> tuple[FromClause, ColumnElement[bool], ColumnElement[float]]:
        conditions = [_matches(term) for term in query.positive]
        conditions += [not_(_matches(term)) for term in query.negative]
        if not query.positive:
            return ENTRY, and_(true(), *conditions), literal(0.0)
        combined = _tsquery(query.positive[0])
        for term in query.positive[1:]:
            combined = combined.op("&&")(_tsquery(term))
        return ENTRY, and_(true(), *conditions), func.ts_rank_cd(TSV, combined).cast(Float)

    def _write_text(self, connection: Connection, keys: Sequence[str]) -> None:
        """Nothing to do: `tsv` is a generated column and the trigram index follows the row."""

    def _remove_text(self, connection: Connection, keys: Sequence[str]) -> None:
        """Nothing to do: the indexes go with the row."""
