"""Saved inbox filters: a user names the current inbox query to come back to it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from accounts.models import SavedFilter
from core.clock import Clock
from core.db import UnitOfWork
from core.errors import NotFound, ValidationFailed

MAX_FILTERS = 50


@dataclass(frozen=True)
class FilterView:
    id: int
    name: str
    query: dict[str, Any]


def save_filter(uow: UnitOfWork, clock: Clock, user_id: int, name: str, query: dict[str, str]) -> FilterView:
    """Save (or replace) the filter `name`; the query is a flat mapping of inbox parameters."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationFailed("the filter name must have 1-100 characters", {"name": "1-100 characters"})
    if len(query) > 30 or any(len(str(key)) > 64 or len(str(value)) > 500 for key, value in query.items()):
        raise ValidationFailed("the filter is too large", {"query": "too large"})
    row = uow.session.scalars(select(SavedFilter).where(SavedFilter.user_id == user_id,
                                                        SavedFilter.name == name)).one_or_none()
    if row is None:
        count = len(list_filters(uow, user_id))
        if count >= MAX_FILTERS:
            raise ValidationFailed(f"at most {MAX_FILTERS} saved filters per user", {"name": "too many"})
        row = SavedFilter(user_id=user_id, name=name, query={}, created_at=clock.now())
        uow.session.add(row)
    row.query = {str(key): str(value) for key, value in query.items()}
    uow.session.flush()
    return FilterView(row.id, row.name, row.query)


def list_filters(uow: UnitOfWork, user_id: int) -> list[FilterView]:
    rows = uow.session.scalars(select(SavedFilter).where(SavedFilter.user_id == user_id).order_by(SavedFilter.name))
    return [FilterView(row.id, row.name, row.query) for row in rows]


def delete_filter(uow: UnitOfWork, user_id: int, filter_id: int) -> None:
    row = uow.session.get(SavedFilter, filter_id)
    if row is None or row.user_id != user_id:
        raise NotFound(f"saved filter {filter_id} not found")
    uow.session.delete(row)
