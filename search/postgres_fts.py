"""`PostgresSearchIndex`: PostgreSQL full text with the `german` configuration (stemming: "Anträge" finds
"Antrag"), parts of compound words ("antrag" finds "Bauantrag") and phrases; `ts_rank_cd` ranks. How each
term matches is search/pg_terms.py; large results are estimated (search/estimate.py). The structures: the
generated `tsv` column with GIN and the text's trigram index (migration 0005), the vocabulary `search_term`
(0011) and the GIN expression index of pairs of neighbouring lexemes (0012). `tsv` holds each entry's owning unit
and year as lexemes too (0013), and so does the pairs index (0014): a relevance-ranked search's index scan leaves
other units out before rows are read.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import (
    ColumnElement,
    Connection,
    Float,
    and_,
    delete,
    func,
    literal,
    not_,
    tablesample,
    text,
    true,
)
from sqlalchemy.sql import FromClause
from sqlalchemy.sql.util import ClauseAdapter

from search.estimate import Estimation
from search.pg_terms import NEW_WORDS, TSV, UNIT, VOCABULARY, YEAR, any_of, match_terms
from search.ports import Scope
from search.query import Query
from search.sqlbase import ENTRY, SqlSearchIndex, date_condition, filter_condition, scope_condition
from search.sqlpass import Counts, count_and_rank

# merges the pending list of every GIN index of the given tables into the index
PENDING_LISTS = text(
    "SELECT gin_clean_pending_list(i.indexrelid) FROM pg_index AS i JOIN pg_class AS c ON c.oid = i.indexrelid "
    "JOIN pg_am AS m ON m.oid = c.relam WHERE m.amname = 'gin' AND i.indrelid = ANY(CAST(:tables AS regclass[]))")
MAX_YEARS = 50  # a wider year range is left to the date range alone


def _scope_lexemes(query: Query, scope: Scope) -> list[list[str]]:
    """Groups of scope lexemes (migration 0013) of which each entry the user may find holds one: of the user's
    units, of the years asked for (a wider range is left to the date range alone)."""
    groups = []
    if scope.units:  # None: every unit, nothing to narrow
        groups.append([UNIT + unit for unit in sorted(scope.units)])
    years = query.filters.years
    if years and years[1] - years[0] < MAX_YEARS:
        groups.append([YEAR + str(year) for year in range(years[0], years[1] + 1)])
    return groups


class PostgresSearchIndex(SqlSearchIndex):
    name = "postgresql-fts"
    estimation: Estimation | None = Estimation()

    # JIT compiling a search's expressions costs ~45 ms, more than the plans it would speed up
    search_settings = ("SET LOCAL jit = off",)
    # a newest-first page is only asked for when the sample found the matches dense: walking the date index
    # stops after a page, while the planner (guessing far fewer matches) would fetch and sort all of them. One
    # process walks: parallel workers each walk ahead on their own, reading ~3 times the rows for one page
    # (a phrase of a few thousand matches: ~60 ms alone, 130-160 ms with two workers at a million entries)
    newest_settings = ("SET LOCAL enable_bitmapscan = off", "SET LOCAL max_parallel_workers_per_gather = 0")
    statistics_tables = ("search_entry", "search_term")

    def _sampled_counts(self, connection: Connection, source: FromClause, condition: ColumnElement[bool],
                        percent: float) -> Counts:
        """Counts over `percent` % of the table's blocks (TABLESAMPLE SYSTEM: the planner cannot choose to
        read more; the same blocks every time, so the pages of one search agree). The sample is named like
        the table, so the condition's columns refer to it."""
        assert source is ENTRY  # the condition is on search_entry alone
        sample = tablesample(ENTRY, func.system(percent), name="search_entry", seed=literal(0))
        return count_and_rank(connection, sample, ClauseAdapter(sample).traverse(condition), sample)[0]

    def _text_match(self, query: Query, scope: Scope) -> tuple[FromClause, ColumnElement[bool], ColumnElement[float]]:
        with self.db.engine.connect() as connection:
            matches = match_terms(connection, query.terms, _scope_lexemes(query, scope))
        conditions = [matches[term].condition for term in query.positive]
        conditions += [not_(matches[term].condition) for term in query.negative]
        if not query.positive:
            return ENTRY, and_(true(), *conditions), literal(0.0)
        combined = matches[query.positive[0]].tsquery
        for term in query.positive[1:]:
            combined = combined.op("&&")(matches[term].tsquery)
        return ENTRY, and_(true(), *conditions), func.ts_rank_cd(TSV, combined).cast(Float)

    def _ranked_condition(self, query: Query, scope: Scope, matches: ColumnElement[bool]) -> ColumnElement[bool]:
        """The user's units and the years asked for as scope lexemes of tsv (migration 0013), so the GIN scan for
        the words leaves other units' and years' entries out before rows are read to rank them (a phrase's pairs
        are narrowed in the pairs index, see _text_match). When the terms' indexes find the matches, the scope
        and the date range are checked on those rows (IS TRUE: the same test, which the planner does not answer
        from an index) — a bitmap of the user's units or of a whole year from the B-tree indexes costs ~25 ms at
        a million entries and leaves out nothing the GIN scan kept."""
        checked = and_(scope_condition(scope), date_condition(query))
        if query.positive:
            checked = checked.is_(True)
        conditions = [checked, filter_condition(query, dates=False), matches]
        if not query.positive or not all(term.phrase for term in query.positive):
            conditions += [any_of(group) for group in _scope_lexemes(query, scope)]
        return and_(*conditions)

    def _write_text(self, connection: Connection, keys: Sequence[str]) -> None:
        """`tsv` is a generated column and the GIN indexes follow the row; new words join the vocabulary."""
        connection.execute(NEW_WORDS, {"keys": list(keys)})

    def _remove_text(self, connection: Connection, keys: Sequence[str]) -> None:
        """Nothing to do: the indexes go with the row. A lexeme no entry holds any more stays in the
        vocabulary (it only expands to nothing) until the next full rebuild clears it."""

    def settle(self) -> None:
        """Planner statistics, and the GIN indexes' pending lists merged into the indexes: a bulk write leaves
        up to 4 MB of entries in each (gin_pending_list_limit) that every search would read through — ~10 ms
        per lookup at a million entries (ANALYZE only merges them when autovacuum runs it)."""
        super().settle()
        with self.db.engine.begin() as connection:
            connection.execute(PENDING_LISTS, {"tables": list(self.statistics_tables)}).all()

    def clear(self) -> None:
        super().clear()
        with self.db.engine.begin() as connection:
            connection.execute(delete(VOCABULARY))
