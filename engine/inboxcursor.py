"""The inbox's keyset cursor: the last row's sort value and task id, opaque to clients (base64 JSON)."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from core.errors import ValidationFailed

SortKind = Literal["datetime", "int", "str"]


@dataclass(frozen=True)
class Position:
    """Where a page ended: the sort it was made for, the last row's sort value and task id."""

    sort: str
    descending: bool
    value: datetime | int | str | None
    task_id: uuid.UUID


def encode(position: Position) -> str:
    value = position.value.isoformat() if isinstance(position.value, datetime) else position.value
    raw = json.dumps({"s": position.sort, "d": position.descending, "v": value, "i": str(position.task_id)},
                     separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _refuse(reason: str) -> ValidationFailed:
    return ValidationFailed(f"invalid cursor: {reason}", {"cursor": reason})


def decode(cursor: str, sort: str, descending: bool, kind: SortKind) -> Position:
    """The position in `cursor`; ValidationFailed naming 'cursor' when it is garbled, forged or was made for
    another sort order."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        parsed: Any = json.loads(raw.decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise _refuse("not a cursor of this list") from None
    if not isinstance(parsed, dict) or set(parsed) != {"s", "d", "v", "i"}:
        raise _refuse("not a cursor of this list")
    if parsed["s"] != sort or parsed["d"] is not descending:
        raise _refuse("made for another sort order; start from the first page")
    try:
        task_id = uuid.UUID(parsed["i"]) if isinstance(parsed["i"], str) else None
    except ValueError:
        task_id = None
    if task_id is None:
        raise _refuse("not a cursor of this list")
    return Position(sort, descending, _value(parsed["v"], kind), task_id)


def _value(value: Any, kind: SortKind) -> datetime | int | str | None:
    if value is None:
        return None
    if kind == "int" and isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**31:
        return value
    if kind == "str" and isinstance(value, str) and len(value) <= 1000:
        return value
    if kind == "datetime" and isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise _refuse("not a cursor of this list") from None
        if moment.tzinfo is not None:
            return moment
    raise _refuse("not a cursor of this list")
