"""`PostgresSearchIndex`: PostgreSQL full text with the `german` configuration plus parts of compound words.

A word matches when the stemmed `tsvector` holds it ("Anträge" finds "Antrag") or a word of the text contains it
("antrag" finds "Bauantrag"). The second is answered from the index's vocabulary (`search_term`: every word
once with its lexeme, the words trigram-indexed; migration 0011): the term is expanded to the lexemes of the
words containing it, and the GIN index of `tsv` finds their entries — a few posting lists are read instead of
every text that shares a common trigram with the term. Terms the vocabulary cannot serve (punctuation as in
reference numbers, stop words, phrases, a part so short that hundreds of words contain it) match as before:
`tsv` or a substring of the text (pg_trgm's GIN index answers the LIKE). `ts_rank_cd` ranks. The `tsv` column
and both GIN indexes come from migration 0005.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Float,
    MetaData,
    Table,
    Text,
    and_,
    delete,
    false,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    tablesample,
    text,
    true,
)
from sqlalchemy.sql import FromClause
from sqlalchemy.sql.util import ClauseAdapter

from search.estimate import Estimation
from search.query import Query, Term
from search.sqlbase import ENTRY, SqlSearchIndex, like_pattern

TSV: ColumnElement[str] = literal_column("search_entry.tsv")
# the exact expression of ix_search_entry_trgm, so the planner uses that index for LIKE
HAYSTACK: ColumnElement[str] = literal_column(
    "lower(search_entry.reference_number || ' ' || search_entry.title || ' ' || search_entry.body)")
VOCABULARY = Table("search_term", MetaData(), Column("word", Text, primary_key=True),
                   Column("lexeme", Text, primary_key=True))
# the words of some entries (the parser of to_tsvector, lower case, not stemmed) not yet in the vocabulary, each
# with its german lexeme (a stop word has none); in sorted order, so two writers never wait in a circle
NEW_WORDS = text(
    "INSERT INTO search_term (word, lexeme) SELECT words.word, lexeme FROM (SELECT DISTINCT word FROM search_entry, "
    "unnest(tsvector_to_array(to_tsvector('simple', title || ' ' || reference_number || ' ' || body))) AS word "
    "WHERE key = ANY(:keys)) AS words CROSS JOIN LATERAL unnest(tsvector_to_array(to_tsvector('german', words.word)))"
    " AS lexeme WHERE NOT EXISTS (SELECT 1 FROM search_term AS known WHERE known.word = words.word) "
    "ORDER BY 1, 2 ON CONFLICT DO NOTHING"
)
MAX_EXPANSION = 500  # lexemes one term may stand for; a less specific part is matched as a substring


def _tsquery(term: Term) -> ColumnElement[str]:
    if term.phrase:
        return func.phraseto_tsquery("german", term.text)
    if term.prefix:
        return func.to_tsquery("german", func.quote_literal(term.text).concat(":*"))
    return func.plainto_tsquery("german", term.text)


def _any_of(lexemes: Sequence[str]) -> ColumnElement[str]:
    """A tsquery matching any of `lexemes`, taken as they are (already stemmed)."""
    quoted = " | ".join("'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'" for lexeme in lexemes)
    return func.to_tsquery("simple", quoted)


def expand(connection: Connection, term: Term) -> list[str] | None:
    """The term's own lexeme and those of every indexed word containing it ("antrag" → antrag, bauantrag,
    antragsteller, …; "teilung" → grundstucksteil, the stem of "Grundstücksteilungen"), or None when the term
    is matched by substring instead (see the module docstring)."""
    if term.phrase or not term.text.isalnum():
        return None
    stems = connection.scalar(select(func.tsvector_to_array(func.to_tsvector("german", term.text)))) or []
    if len(stems) != 1:  # a stop word has none
        return None
    found = set(connection.scalars(select(VOCABULARY.c.lexeme).distinct()
                                   .where(VOCABULARY.c.word.like(like_pattern(term.text), escape="\\"))
                                   .limit(MAX_EXPANSION + 1)))
    return sorted(found | {stems[0]}) if len(found) <= MAX_EXPANSION else None


class PostgresSearchIndex(SqlSearchIndex):
    name = "postgresql-fts"
    estimation: Estimation | None = Estimation()

    # JIT compiling a search's expressions costs ~45 ms, more than the plans it would speed up
    search_settings = ("SET LOCAL jit = off",)

    def _sampled_counts(self, connection: Connection, source: FromClause, condition: ColumnElement[bool],
                        percent: float) -> tuple[int, dict[str, dict[str, int]]]:
        """Counts over `percent` % of the table's blocks (TABLESAMPLE SYSTEM: the planner cannot choose to
        read more; the same blocks every time, so the pages of one search agree). The sample is named like
        the table, so the condition's columns refer to it."""
        assert source is ENTRY  # the condition is on search_entry alone
        sample = tablesample(ENTRY, func.system(percent), name="search_entry", seed=literal(0))
        return self._counts(connection, sample, ClauseAdapter(sample).traverse(condition), sample)

    def _text_match(self, query: Query) -> tuple[FromClause, ColumnElement[bool], ColumnElement[float]]:
        with self.db.engine.connect() as connection:
            # with a LIMIT the planner guesses a scan of the vocabulary stops early; the trigram index is
            # what makes it fast (~1 ms rather than ~100 ms at a million lexemes)
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            expansions = {term: expand(connection, term) for term in query.terms}

        def matches(term: Term) -> ColumnElement[bool]:
            lexemes = expansions[term]
            if lexemes is None:
                return or_(TSV.op("@@")(_tsquery(term)),
                           HAYSTACK.like(like_pattern(term.text.lower()), escape="\\"))
            return TSV.op("@@")(_any_of(lexemes)) if lexemes else false()

        def tsquery(term: Term) -> ColumnElement[str]:
            lexemes = expansions[term]
            return _tsquery(term) if not lexemes else _any_of(lexemes)

        conditions = [matches(term) for term in query.positive]
        conditions += [not_(matches(term)) for term in query.negative]
        if not query.positive:
            return ENTRY, and_(true(), *conditions), literal(0.0)
        combined = tsquery(query.positive[0])
        for term in query.positive[1:]:
            combined = combined.op("&&")(tsquery(term))
        return ENTRY, and_(true(), *conditions), func.ts_rank_cd(TSV, combined).cast(Float)

    def _write_text(self, connection: Connection, keys: Sequence[str]) -> None:
        """`tsv` is a generated column and the GIN indexes follow the row; new words join the vocabulary."""
        connection.execute(NEW_WORDS, {"keys": list(keys)})

    def _remove_text(self, connection: Connection, keys: Sequence[str]) -> None:
        """Nothing to do: the indexes go with the row. A lexeme no entry holds any more stays in the
        vocabulary (it only expands to nothing) until the next full rebuild clears it."""

    def clear(self) -> None:
        super().clear()
        with self.db.engine.begin() as connection:
            connection.execute(delete(VOCABULARY))
