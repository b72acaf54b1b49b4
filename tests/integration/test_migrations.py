"""`akte db upgrade` brings an empty database to head, and running it again changes nothing."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect

import search.models  # noqa: F401  (the search tables are compared too)
from core.db import Base, Database
from core.migrate import alembic_managed, current_revision, head_revision, upgrade


def test_upgrade_empty_sqlite_database_to_head(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'nested' / 'fresh.db'}")
    assert current_revision(database) is None
    upgrade(database)
    assert current_revision(database) == head_revision(database)
    upgrade(database)  # idempotent
    tables = set(inspect(database.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    database.dispose()


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    """Autogenerate finds no difference between the migrations and the ORM models (both backends)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    database = Database(database_url)
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": alembic_managed})
        diff = compare_metadata(context, Base.metadata)
    database.dispose()
    assert diff == []
