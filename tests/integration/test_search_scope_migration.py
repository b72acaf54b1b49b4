"""Migration 0013 regenerates `tsv` of the entries already indexed with their scope lexemes (the pairs index is
rebuilt as it was), and goes back down to the plain text lexemes (PostgreSQL; a no-op on SQLite)."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import text

from core.db import Database
from core.migrate import alembic_config, current_revision, upgrade
from search.pg_terms import UNIT, YEAR
from search.ports import Scope
from search.postgres_fts import PostgresSearchIndex
from search.query import parse_query
from tests.integration.test_search_backends import entry


def _gin_indexes(database: Database) -> set[str]:
    with database.engine.connect() as connection:
        return set(connection.scalars(text("SELECT indexname FROM pg_indexes WHERE tablename = 'search_entry' "
                                           "AND indexdef LIKE '%USING gin%'")))


def _lexemes(database: Database) -> list[str]:
    with database.engine.connect() as connection:
        return list(connection.scalar(text(
            "SELECT tsvector_to_array(tsv) || tsvector_to_array(akte_lexeme_pairs(tsv)) FROM search_entry")))


@pytest.mark.parametrize("fresh_database", ["postgresql"], indirect=True)
def test_entries_indexed_before_get_their_scope_lexeme_and_lose_it_going_down(fresh_database: Database) -> None:
    database = fresh_database
    upgrade(database, "0012")
    indexed = entry(1, "Bescheid", "Die Gebühr für die Miete ist fällig.", owning_unit="32")
    PostgresSearchIndex(database).upsert([indexed])
    assert not any(lexeme.startswith("§") for lexeme in _lexemes(database))
    upgrade(database)
    after = _lexemes(database)
    assert after.count(f"{UNIT}32") == after.count(f"{YEAR}2026") == 1  # in tsv, not among the pairs
    assert "gebuhr miet" in after
    indexes = {"ix_search_entry_tsv", "ix_search_entry_pairs", "ix_search_entry_trgm"}
    assert _gin_indexes(database) == indexes  # rebuilt over the new column
    result = PostgresSearchIndex(database).search(parse_query('"gebühr für die miete"'),
                                                 Scope(units=frozenset({"32"}), clearance=3))
    assert [hit.key for hit in result.hits] == [indexed.key]

    config = alembic_config(database)
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0012")
    assert current_revision(database) == "0012"
    before = _lexemes(database)
    assert "gebuhr miet" in before and not any(lexeme.startswith("§") for lexeme in before)
    assert _gin_indexes(database) == indexes
