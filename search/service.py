"""Searching on behalf of a principal: the query is parsed and the principal's scope travels into it."""

from __future__ import annotations

from records.access import Principal
from search.ports import Scope, SearchIndex, SearchResult
from search.query import parse_query


def scope_of(principal: Principal) -> Scope:
    """The same rule as records.access.visible_files, as data every backend puts into its query."""
    if principal.is_admin:
        return Scope(units=None, clearance=int(principal.clearance))
    return Scope(units=frozenset(principal.units), clearance=int(principal.clearance))


def search(index: SearchIndex, principal: Principal, text: str, *, size: int = 20,
           cursor: str | None = None) -> SearchResult:
    return index.search(parse_query(text), scope_of(principal), size=size, cursor=cursor)
