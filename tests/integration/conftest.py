"""Fixtures of the integration tests beyond the shared ones in tests/conftest.py."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from core.db import Database
from tests.conftest import POSTGRES_ADMIN_URL
from tests.imapserver import ImapServer, ImapServerFailed, imap_server


@pytest.fixture(scope="session")
def dovecot() -> Iterator[ImapServer]:
    """A real IMAP server (Debian's dovecot) on a free port for the run, with a throw-away Maildir."""
    try:
        with imap_server() as server:
            yield server
    except ImapServerFailed as exc:
        pytest.fail(str(exc))


@pytest.fixture
def mailbox(dovecot: ImapServer) -> Iterator[ImapServer]:
    """The IMAP server with empty folders (emptied again afterwards)."""
    dovecot.clear()
    yield dovecot
    dovecot.clear()


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'old.db'}")
        yield database
        database.dispose()
        return
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"akte_migration_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    database = Database(make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False))
    try:
        yield database
    finally:
        database.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
