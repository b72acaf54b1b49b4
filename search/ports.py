"""The `SearchIndex` port and the values that cross it.

Adapters: `search.sqlite_fts.SqliteSearchIndex` (FTS5), `search.postgres_fts.PostgresSearchIndex`
(tsvector `german` + trigram), `search.elastic.ElasticSearchIndex`; `search.factory` picks one from
`AKTE_SEARCH_URL`. Permissions travel inside every query as a `Scope`; no adapter filters a page afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, Protocol

from sqlalchemy import Connection

from search.query import Query

FACETS = ("procedure", "status", "year", "doc_type")


@dataclass(frozen=True)
class IndexEntry:
    """One searchable thing: a document (its latest version's text), a file, a case or a note."""

    key: str  # "<kind>:<uuid>"
    kind: str  # document | file | case | note
    file_id: uuid.UUID
    case_id: uuid.UUID | None
    reference_number: str
    owning_unit: str
    confidentiality: int
    title: str
    body: str
    procedure: str | None
    status: str | None
    doc_type: str | None
    created_on: date


@dataclass(frozen=True)
class Scope:
    """Whose search this is: `units` None means every unit (administrators)."""

    units: frozenset[str] | None
    clearance: int


@dataclass(frozen=True)
class Hit:
    key: str
    kind: str
    file_id: str
    case_id: str | None
    reference_number: str
    title: str
    snippet: str  # HTML-escaped text with <mark>…</mark> around matches
    score: float


@dataclass(frozen=True)
class SearchResult:
    """`total_exact` False: total and facet counts are estimates (a very large result, see search.estimate).
    `order` is "relevance" (exact reference numbers first, then by score) or "newest" (by date, newest first:
    the database backends' order for very large results)."""

    hits: list[Hit]
    total: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    next_cursor: str | None = None
    total_exact: bool = True
    order: Literal["relevance", "newest"] = "relevance"


class SearchIndex(Protocol):
    name: str

    def upsert(self, entries: Sequence[IndexEntry], *, bind: Connection | None = None) -> None:
        """Insert or replace entries (by key); idempotent. Database backends write through `bind` (the
        caller's transaction) when given, so the index changes commit with the outbox rows they handle."""
        ...

    def delete(self, keys: Sequence[str], *, bind: Connection | None = None) -> None:
        """Remove entries; unknown keys are ignored."""
        ...

    def search(self, query: Query, scope: Scope, *, size: int = 20, cursor: str | None = None) -> SearchResult:
        """Hits the scope may see, exact reference-number hits first, then by relevance; `cursor` continues
        after the last hit of a previous page (keyset, no offset)."""
        ...

    def clear(self) -> None:
        """Remove every entry (before a full rebuild)."""
        ...

    def settle(self) -> None:
        """After a bulk write (a full rebuild): bring what the backend plans or searches with up to date —
        the database backends' planner statistics (a freshly filled table is planned blind until autovacuum
        gets to it), Elasticsearch's refresh."""
        ...
