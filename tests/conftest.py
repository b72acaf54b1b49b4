"""Shared fixtures: every integration test runs on SQLite and on the real PostgreSQL of this machine.

PostgreSQL: a throw-away database `akte_test_<random>` is created for the run on the server named by
AKTE_TEST_POSTGRES_URL (default: the local server, trust auth) and dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.motoserver import MotoServerFailed, moto_server
from core.bootstrap import Services, bootstrap
from core.clock import FrozenClock
from core.db import Base, Database
from core.migrate import upgrade
from core.settings import load_settings
from engine.handlers import HandlerRegistry

REPO = Path(__file__).resolve().parents[1]
MODELS = REPO / "tests" / "fixtures" / "models"
TESTDATA = REPO.parent / "shared" / "testdata"
POSTGRES_ADMIN_URL = os.environ.get(
    "AKTE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def testdata_dir() -> Path:
    """../shared/testdata, or skip with the reason when this checkout has no shared folder beside it."""
    if not TESTDATA.is_dir():
        pytest.skip(f"shared test data not found at {TESTDATA} (only present beside the project checkout)")
    return TESTDATA


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"akte_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        pytest.fail(f"PostgreSQL at {POSTGRES_ADMIN_URL} is needed by the suite: {exc}")
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'akte.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    database = Database(url)
    upgrade(database)
    database.dispose()
    return url


def empty_tables(database: Database) -> None:
    with database.engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
        if database.backend == "sqlite":  # the FTS5 table lives outside the ORM metadata
            connection.execute(text("DELETE FROM search_fts"))
        else:  # so does PostgreSQL's search vocabulary
            connection.execute(text("DELETE FROM search_term"))


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def handlers() -> HandlerRegistry:
    return HandlerRegistry()


def blob_settings(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, str]:
    """The document store that goes with a database: the filesystem with SQLite (the embedded set-up), a
    fresh bucket on the moto S3 server with PostgreSQL (the production-like set-up)."""
    if database_url.startswith("sqlite"):
        return {"blob_url": f"file://{tmp_path / 'blobs'}"}
    endpoint = request.getfixturevalue("moto_s3_endpoint")
    return {"blob_url": f"s3://akte-{uuid.uuid4().hex[:12]}?endpoint={endpoint}",
            "s3_access_key": "akte-test", "s3_secret_key": "akte-test-secret"}


@pytest.fixture
def services(
    database_url: str, tmp_path: Path, clock: FrozenClock, handlers: HandlerRegistry, request: pytest.FixtureRequest
) -> Iterator[Services]:
    settings = load_settings(database_url=database_url, data_dir=tmp_path, script_timeout_seconds=1.0,
                             **blob_settings(database_url, tmp_path, request))
    built = bootstrap(settings, clock=clock, handlers=handlers)
    try:
        yield built
    finally:
        empty_tables(built.db)
        built.db.dispose()


@pytest.fixture(scope="session")
def moto_s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A moto S3 server on a free port for the run (`moto_server` from the venv); yields its http:// URL."""
    try:
        with moto_server(tmp_path_factory.mktemp("moto") / "moto_server.log") as url:
            yield url
    except MotoServerFailed as exc:
        pytest.fail(str(exc))
