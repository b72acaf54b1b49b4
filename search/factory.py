"""`AKTE_SEARCH_URL` → a `SearchIndex`: `db` is the database's own full text (FTS5 on SQLite, tsvector +
trigram on PostgreSQL); `http(s)://HOST:9200[/INDEX]` is Elasticsearch."""

from __future__ import annotations

from core.db import Database
from core.errors import ConfigurationError
from search.ports import SearchIndex
from search.postgres_fts import PostgresSearchIndex
from search.sqlite_fts import SqliteSearchIndex


def open_search_index(url: str, db: Database) -> SearchIndex:
    if url == "db":
        return PostgresSearchIndex(db) if db.backend == "postgresql" else SqliteSearchIndex(db)
    if url.startswith(("http://", "https://")):
        from search.elastic import open_elastic_index

        return open_elastic_index(url)
    raise ConfigurationError(f"AKTE_SEARCH_URL {url!r}: expected 'db' or http(s)://HOST:9200[/INDEX]")
