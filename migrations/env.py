"""Alembic environment: one linear history for SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

import accounts.models  # noqa: F401  (registers the people tables)
import core.outbox  # noqa: F401  (registers the outbox table)
import engine.models  # noqa: F401  (registers the engine tables on Base.metadata)
import intake.models  # noqa: F401  (registers the e-invoice intake tables)
import records.models  # noqa: F401  (registers the e-file tables)
import search.models  # noqa: F401  (registers the search tables)
from core.db import Base
from core.migrate import alembic_managed

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    engine = engine_from_config(config.get_section(config.config_ini_section) or {}, prefix="sqlalchemy.",
                                poolclass=pool.NullPool)
    with engine.connect() as connection:
        _run(connection)


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        include_object=alembic_managed,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
