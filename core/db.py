"""Database access: SQLAlchemy 2.0 engine, declarative base and the unit of work.

A unit of work is one transaction. It rolls back unless `commit()` was called, so an exception half-way
through an operation never leaves half-written state behind.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.types import TypeDecorator

from core.errors import AkteError, Conflict

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite would start transactions only at the first write, so reads ran outside them and a SAVEPOINT
    # opened (and its RELEASE committed) a transaction of its own; akte begins every transaction itself.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _begin_sqlite(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")


def make_engine(url: str) -> Engine:
    """Create the SQLAlchemy engine for `url`; an SQLite file's folder is created if missing."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin_sqlite)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


class UnitOfWork:
    """One transaction: `with db.unit_of_work() as uow: ...; uow.commit()`."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._committed = False
        self._after_commit: list[Callable[[], None]] = []
        self._on_rollback: list[Callable[[], None]] = []

    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if not self._committed:
                self.session.rollback()
                callbacks, self._on_rollback = self._on_rollback, []
                for callback in callbacks:
                    try:
                        callback()
                    except Exception:  # clean-up must not hide the error that caused the rollback
                        log.exception("a clean-up after rollback failed")
        finally:
            self.session.close()
        if exc is not None:  # an autoflush inside a query may meet a concurrent change, too
            conflict = as_conflict(exc)
            if conflict is not None:
                raise conflict from exc

    def commit(self) -> None:
        with concurrent_changes_as_conflict():
            self.session.commit()
        self._committed = True
        self._on_rollback = []
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()

    def flush(self) -> None:
        with concurrent_changes_as_conflict():
            self.session.flush()

    def refresh_for_update(self, instance: object) -> None:
        """Re-read `instance` and lock its row until the commit (`SELECT … FOR UPDATE`), to see whether it changed
        meanwhile. On SQLite there are no row locks and a transaction reads one snapshot from its first read on (a
        write on a snapshot that is no longer the newest fails as a Conflict), so a re-read could show nothing
        new: it is skipped there."""
        if self.session.get_bind().dialect.name != "sqlite":
            self.session.refresh(instance, with_for_update=True)

    def on_rollback(self, callback: Callable[[], None]) -> None:
        """Run `callback` when this unit of work ends without committing (e.g. remove a blob written for it)."""
        self._on_rollback.append(callback)

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once this unit of work has committed (never after a rollback)."""
        self._after_commit.append(callback)


def as_conflict(exc: BaseException) -> Conflict | None:
    """The domain `Conflict` for optimistic-lock failures and SQLite's busy snapshot, else None."""
    if isinstance(exc, StaleDataError):
        return Conflict("the object was changed concurrently; reload and try again")
    if isinstance(exc, OperationalError) and ("locked" in str(exc.orig) or "busy" in str(exc.orig)):
        return Conflict("the database is busy with a concurrent change; try again")
    return None


@contextmanager
def concurrent_changes_as_conflict() -> Iterator[None]:
    try:
        yield
    except (StaleDataError, OperationalError) as exc:
        conflict = as_conflict(exc)
        if conflict is None:
            raise
        raise conflict from exc


def each_in_savepoint(uow: UnitOfWork, ids: Iterable[str], action: Callable[[str], object], *,
                      guard: Callable[[], AbstractContextManager[object]] = nullcontext,
                      ) -> list[tuple[str, AkteError | None]]:
    """Run `action` on every id in its own savepoint, inside `guard` (the savepoint's commit too): an id refused
    with an AkteError is rolled back alone and reported with its error, the others with None."""
    results: list[tuple[str, AkteError | None]] = []
    for item in ids:
        savepoint = uow.session.begin_nested()
        try:
            with guard():
                action(item)
                savepoint.commit()
        except AkteError as exc:
            savepoint.rollback()
            results.append((item, exc))
        else:
            results.append((item, None))
    return results


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self._sessions())

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A read-only convenience session (always rolled back)."""
        with self.unit_of_work() as uow:
            yield uow.session

    def dispose(self) -> None:
        self.engine.dispose()
