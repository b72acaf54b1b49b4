"""Migration 0014 rebuilds the pairs index with each entry's scope lexemes (owning unit, year), so a phrase's index
scan keeps only the user's units; and rebuilds it as it was going down (PostgreSQL; a no-op on SQLite)."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import func, select, text

from core.db import Database
from core.migrate import alembic_config, current_revision, upgrade
from search.pg_terms import PAIRS, UNIT, YEAR, match_terms
from search.ports import Scope
from search.postgres_fts import PostgresSearchIndex
from search.query import parse_query
from search.sqlbase import ENTRY
from tests.integration.test_search_backends import entry

SAID = "Die Gebühr für die Miete ist fällig."
UNIT_32 = Scope(units=frozenset({"32"}), clearance=3)


def _pairs_index(database: Database) -> str:
    with database.engine.connect() as connection:
        return str(connection.scalar(text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_search_entry_pairs'")))


@pytest.mark.parametrize("fresh_database", ["postgresql"], indirect=True)
def test_the_pairs_index_gets_the_scope_lexemes_and_loses_them_going_down(fresh_database: Database) -> None:
    database = fresh_database
    upgrade(database, "0013")
    ours, theirs = entry(1, "Bescheid", SAID, owning_unit="32"), entry(2, "Bescheid", SAID, owning_unit="63")
    PostgresSearchIndex(database).upsert([ours, theirs])
    assert UNIT not in _pairs_index(database)
    upgrade(database)
    assert f"'{UNIT}'" in _pairs_index(database) and f"'{YEAR}'" in _pairs_index(database)
    query = parse_query('"gebühr für die miete" year:2026')
    with database.engine.connect() as connection:
        narrowed = [[f"{UNIT}32"], [f"{YEAR}2026"]]
        condition = next(iter(match_terms(connection, query.terms, narrowed).values())).condition
        assert list(connection.scalars(select(ENTRY.c.key).where(condition))) == [ours.key]
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        compiled = select(ENTRY.c.id).where(condition).compile(dialect=connection.dialect)
        plan = "\n".join(connection.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params).scalars())
        pairs = connection.scalar(select(func.tsvector_to_array(PAIRS)).where(ENTRY.c.key == ours.key))
    index_conditions = " ".join(line for line in plan.splitlines() if "Index Cond" in line)
    assert "ix_search_entry_pairs" in plan and f"{UNIT}32" in index_conditions and f"{YEAR}2026" in index_conditions
    assert {f"{UNIT}32", f"{YEAR}2026", "gebuhr miet"} <= set(pairs)
    for scope, found in ((UNIT_32, [ours.key]), (Scope(units=None, clearance=3), [ours.key, theirs.key])):
        result = PostgresSearchIndex(database).search(query, scope)
        assert sorted(hit.key for hit in result.hits) == found

    config = alembic_config(database)
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0013")
    assert current_revision(database) == "0013"
    assert UNIT not in _pairs_index(database) and "akte_lexeme_pairs(tsv)" in _pairs_index(database)
