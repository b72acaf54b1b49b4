"""Ids given by users (URL paths, CLI arguments)."""

from __future__ import annotations

import uuid

from core.errors import NotFound


def parse_uuid(value: str | uuid.UUID, what: str) -> uuid.UUID:
    """Parse an id given by a user; a malformed one names nothing that exists, so it is simply not found."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound(f"{what} {value} not found") from None
