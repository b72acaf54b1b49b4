"""Programmatic Alembic: `akte db upgrade` brings an empty or older database to the head revision."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from core.db import Database

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


# index structures a search backend keeps beside its ORM table (see search/models.py); not in the models
BACKEND_SPECIFIC = ("search_fts", "search_term")
BACKEND_SPECIFIC_COLUMNS = {("search_entry", "tsv")}
BACKEND_SPECIFIC_INDEXES = ("ix_search_entry_tsv", "ix_search_entry_trgm", "ix_search_entry_pairs")


def alembic_managed(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Alembic `include_object`: leave the search backends' own structures out of model comparison."""
    if type_ == "table" and name and name.startswith(BACKEND_SPECIFIC):
        return False
    if type_ == "column":
        table = getattr(getattr(obj, "table", None), "name", None)
        return (table, name) not in BACKEND_SPECIFIC_COLUMNS
    return not (type_ == "index" and name and name.startswith(BACKEND_SPECIFIC_INDEXES))


def alembic_config(database: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database.url.replace("%", "%%"))
    return config


def upgrade(database: Database, revision: str = "head") -> None:
    config = alembic_config(database)
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(database: Database) -> str | None:
    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(database: Database) -> str | None:
    return ScriptDirectory.from_config(alembic_config(database)).get_current_head()
