"""PostgreSQL search at scale: large results are estimated from a sample and run newest first, parts of
compound words are found through the vocabulary (search/estimate.py, search/postgres_fts.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import and_, func, select, text

from core.db import Database
from core.migrate import upgrade
from search.estimate import Estimation
from search.pg_terms import HAYSTACK, PAIRS, UNIT, YEAR, any_of, match_terms
from search.ports import IndexEntry, Scope
from search.postgres_fts import PostgresSearchIndex
from search.query import parse_query
from search.sqlbase import ENTRY
from search.sqlite_fts import SqliteSearchIndex
from tests.integration.test_search_backends import ADMIN, UNIT_A, entry

# a 100 % sample (its estimates are exact) and a fixed threshold of 5 matches
EVERYTHING_SAMPLED = Estimation(above=5, sample_rows=10**9, min_rows=0, balance=0)


@pytest.fixture
def index(postgres_url: str) -> Iterator[PostgresSearchIndex]:
    database = Database(postgres_url)
    upgrade(database)
    built = PostgresSearchIndex(database)
    built.clear()
    yield built
    built.clear()
    database.dispose()


def _applications(count: int) -> list[IndexEntry]:
    start = date(2026, 1, 1)
    return [entry(500 + n, f"Antrag {n}", f"Bauantrag Kennung k{n}q", created_on=start + timedelta(days=n % 9))
            for n in range(count)]


def test_a_large_result_is_estimated_and_pages_run_newest_first(index: PostgresSearchIndex) -> None:
    visible = _applications(23)
    hidden = [replace(item, key=f"document:hidden-{n}", owning_unit="unit-b", procedure="geheimverfahren")
              for n, item in enumerate(_applications(12))]
    index.upsert(visible + hidden)
    index.estimation = EVERYTHING_SAMPLED
    seen: list[str] = []
    days: list[date] = []
    cursor = None
    while True:
        result = index.search(parse_query("antrag"), UNIT_A, size=5, cursor=cursor)
        assert result.order == "newest" and not result.total_exact
        assert result.total == len(visible)  # the whole table was the sample: nothing hidden is counted
        assert "geheimverfahren" not in result.facets["procedure"]
        assert sum(result.facets["doc_type"].values()) == len(visible)
        seen.extend(hit.key for hit in result.hits)
        days.extend(next(item.created_on for item in visible if item.key == hit.key) for hit in result.hits)
        cursor = result.next_cursor
        if cursor is None:
            break
    assert sorted(seen) == sorted(item.key for item in visible) and len(seen) == len(set(seen))
    assert days == sorted(days, reverse=True)


def test_small_results_and_reference_numbers_are_counted_exactly(index: PostgresSearchIndex) -> None:
    items = _applications(8)
    index.upsert(items)
    index.estimation = EVERYTHING_SAMPLED
    few = index.search(parse_query("kennung k3q"), ADMIN)
    assert few.total_exact and few.order == "relevance" and few.total == 1
    exact = index.search(parse_query(f"antrag {items[2].reference_number}"), ADMIN)
    assert exact.total_exact and exact.order == "relevance" and exact.hits[0].key == items[2].key


def test_a_cursor_keeps_the_order_of_its_first_page(index: PostgresSearchIndex) -> None:
    items = _applications(12)
    index.upsert(items)
    first = index.search(parse_query("antrag"), ADMIN, size=5)  # counted: relevance order
    assert first.order == "relevance" and first.next_cursor
    index.estimation = EVERYTHING_SAMPLED  # now the same search would be estimated
    second = index.search(parse_query("antrag"), ADMIN, size=5, cursor=first.next_cursor)
    assert second.order == "relevance" and second.total_exact and second.total == len(items)  # counted while ranked
    assert not {hit.key for hit in first.hits} & {hit.key for hit in second.hits}


def test_parts_of_compound_words_come_from_the_vocabulary(index: PostgresSearchIndex) -> None:
    procedure = entry(1, "Verfahren", "Das Baugenehmigungsverfahren für Grundstücksteilungen läuft.")
    index.upsert([procedure, entry(2, "Anderes", "Ein Schreiben ohne dieses Wort.")])
    for part in ("genehmigung", "genehmigungsverfahren", "teilung", "grundstück", "verfahren"):
        assert [hit.key for hit in index.search(parse_query(part), ADMIN).hits] == [procedure.key], part
    assert index.search(parse_query("genehmigung -baugenehmigungsverfahren"), ADMIN).total == 0
    with index.db.engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM search_term WHERE lexeme LIKE '%genehmig%'"))
    index.clear()
    with index.db.engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM search_term")) == 0


def test_a_part_contained_in_too_many_lexemes_is_matched_as_a_substring(index: PostgresSearchIndex) -> None:
    words = " ".join(f"wort{n}x" for n in range(600))  # 600 lexemes contain "wort"
    index.upsert([entry(1, "Liste", words), entry(2, "Kurz", "Ein Wortspiel.")])
    assert index.search(parse_query("wort"), ADMIN).total == 2


def test_phrases_are_found_by_their_pairs_of_neighbouring_words(index: PostgresSearchIndex) -> None:
    together = entry(1, "Bescheid", "Die Gebühr für die Miete ist am Monatsende fällig.")
    apart = entry(2, "Bescheid", "Die Miete und danach die Gebühr sind fällig.")
    index.upsert([together, apart])
    found = {hit.key for hit in index.search(parse_query('"gebühr für die miete"'), ADMIN).hits}
    assert found == {together.key}
    assert {hit.key for hit in index.search(parse_query('"miete und danach"'), ADMIN).hits} == {apart.key}
    assert index.search(parse_query('"miete gebühr"'), ADMIN).total == 0  # both words, never side by side
    with index.db.engine.connect() as connection:
        pairs = connection.scalar(text("SELECT tsvector_to_array(akte_lexeme_pairs(tsv)) FROM search_entry "
                                       "WHERE key = :key"), {"key": together.key})
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        plans = []
        for condition in (PAIRS.op("@@")(func.to_tsquery("simple", "x")), HAYSTACK.like("%xyz%")):
            compiled = select(ENTRY.c.id).where(condition).compile(dialect=connection.dialect)
            plans.append("\n".join(connection.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params).scalars()))
    assert "gebuhr miet" in pairs  # für and die are stop words: their gap joins the pair
    # the queries' expressions are those the indexes were built on
    assert "ix_search_entry_pairs" in plans[0] and "ix_search_entry_trgm" in plans[1]


def test_units_and_years_are_looked_up_in_the_gin_index(index: PostgresSearchIndex) -> None:
    """Each entry's owning unit and year are lexemes of its tsv, so the index scan for a relevance-ranked search's
    words already leaves out other units' and years' entries (the rows read are the user's matches)."""
    said = "Die Gebühr für die Miete ist fällig."
    ours, theirs = entry(1, "Bescheid", said), entry(2, "Bescheid", said, owning_unit="unit-b")
    older = entry(3, "Bescheid", said, created_on=date(2025, 12, 31))
    forged = entry(4, "Vermerk", f"Gebühr {UNIT}unit-a {YEAR}2026 und Miete", owning_unit="unit-b")
    index.upsert([ours, theirs, older, forged])
    with index.db.engine.connect() as connection:
        lexemes = {key: {lexeme for lexeme in found if lexeme.startswith("§")} for key, found in connection.execute(
            text("SELECT key, tsvector_to_array(tsv) FROM search_entry"))}
        words = next(iter(match_terms(connection, parse_query("gebühr").terms).values())).condition
        condition = and_(words, any_of([f"{UNIT}unit-a"]), any_of([f"{YEAR}2026", f"{YEAR}2027"]))
        keys = set(connection.scalars(select(ENTRY.c.key).where(condition)))
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        compiled = select(ENTRY.c.id).where(condition).compile(dialect=connection.dialect)
        plan = "\n".join(connection.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params).scalars())
    assert lexemes[ours.key] == {f"{UNIT}unit-a", f"{YEAR}2026"}
    assert lexemes[older.key] == {f"{UNIT}unit-a", f"{YEAR}2025"}
    assert lexemes[forged.key] == {f"{UNIT}unit-b", f"{YEAR}2026"}  # text never yields a scope lexeme
    assert keys == {ours.key}
    index_conditions = " ".join(line for line in plan.splitlines() if "Index Cond" in line)
    assert f"{UNIT}unit-a" in index_conditions and f"{YEAR}2027" in index_conditions, plan
    unit_a = Scope(units=frozenset({"unit-a"}), clearance=3)
    assert [hit.key for hit in index.search(parse_query("miete year:2026"), unit_a).hits] == [ours.key]
    assert [hit.key for hit in index.search(parse_query("miete year:1000..2025"), unit_a).hits] == [older.key]
    assert {hit.key for hit in index.search(parse_query('"gebühr für die miete"'), unit_a).hits} == {ours.key,
                                                                                                   older.key}


def test_a_ranked_search_asks_only_the_text_indexes(index: PostgresSearchIndex) -> None:
    """The relevance pass reads every match, found by the GIN scans: the words' with the user's units and years,
    a phrase's pairs. The scope and the date range are checked on those rows — not ANDed with a bitmap of every
    entry of the user's units or of a whole year from the B-tree indexes — and a phrase's positions are checked
    on the rows its pairs found, not asked of the tsv index (whose rows would each have their pairs computed)."""
    said = "Die Gebühr für die Miete ist fällig."
    ours, theirs = entry(1, "Bescheid", said), entry(2, "Bescheid", said, owning_unit="unit-b")
    older = entry(3, "Bescheid", said, created_on=date(2025, 12, 31))
    index.upsert([ours, theirs, older])
    expected = {"miete year:2026": {ours.key}, '"gebühr für die miete"': {ours.key, older.key}}
    plans = {}
    with index.db.engine.connect() as connection:
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        for said_here, keys in expected.items():
            query = parse_query(said_here)
            condition = index._ranked_condition(query, UNIT_A, index._text_match(query, UNIT_A)[1])
            assert set(connection.scalars(select(ENTRY.c.key).where(condition))) == keys
            compiled = select(ENTRY.c.id).where(condition).compile(
                dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
            plans[said_here] = "\n".join(connection.exec_driver_sql("EXPLAIN " + str(compiled),
                                                                    compiled.params).scalars())
    for plan in plans.values():
        assert "ix_search_entry_access" not in plan and "ix_search_entry_created_on" not in plan, plan
    assert "ix_search_entry_tsv" in plans["miete year:2026"]
    phrase = plans['"gebühr für die miete"']
    assert "ix_search_entry_pairs" in phrase and "ix_search_entry_tsv" not in phrase, phrase
    filters = [line for line in phrase.splitlines() if "Filter:" in line]
    assert filters and not any("akte_lexeme_pairs" in line for line in filters)  # pairs: from the index alone


def test_sqlite_can_estimate_from_every_kth_entry(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'search.db'}")
    upgrade(database)
    index = SqliteSearchIndex(database)
    items = _applications(20)
    index.upsert(items)
    index.estimation = Estimation(above=5, sample_rows=10, min_rows=0, balance=0)  # a 50 % sample: even ids
    result = index.search(parse_query("bauantrag"), UNIT_A, size=50)
    assert not result.total_exact and result.order == "newest"
    assert result.total == 20  # ten of the twenty ids are even, each stands for two
    assert {hit.key for hit in result.hits} == {item.key for item in items}  # the hits themselves are all there
    database.dispose()


@pytest.mark.parametrize("text", ["krefeld", "refeld", "b=c", "pfad", "zitat", "brien", "o'brien", "\\\\", "'", "a?b"])
def test_odd_words_in_the_vocabulary_are_quoted_safely(index: PostgresSearchIndex, text: str) -> None:
    odd = entry(1, "Pfade", "C:\\Pfad\\datei o'brien http://krefeld.de/a?b=c&d 'zitat' e\\'x")
    index.upsert([odd])
    result = index.search(parse_query(text), ADMIN)
    assert result.total == len(result.hits) <= 1
    if text.strip("\\'") and text != "a?b":
        assert [hit.key for hit in result.hits] == [odd.key], text


def test_settling_after_a_bulk_write_analyses_the_search_tables(index: PostgresSearchIndex) -> None:
    index.upsert(_applications(3))
    index.settle()
    with index.db.engine.connect() as connection:
        analysed = dict(connection.execute(text(
            "SELECT relname, last_analyze IS NOT NULL FROM pg_stat_user_tables "
            "WHERE relname IN ('search_entry', 'search_term')")).all())
    assert analysed == {"search_entry": True, "search_term": True}
    with index.db.engine.begin() as connection:  # nothing left in the GIN indexes' pending lists
        pending = connection.execute(text(
            "SELECT c.relname, gin_clean_pending_list(c.oid) FROM pg_class AS c JOIN pg_am AS m ON m.oid = c.relam "
            "JOIN pg_index AS i ON i.indexrelid = c.oid WHERE m.amname = 'gin' "
            "AND i.indrelid IN ('search_entry'::regclass, 'search_term'::regclass)")).all()
    assert {name for name, _ in pending} >= {"ix_search_entry_tsv", "ix_search_entry_pairs", "ix_search_term_trgm"}
    assert all(pages == 0 for _, pages in pending), pending
