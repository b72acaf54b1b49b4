"""Injectable clock: services ask it for the time so tests can move time instead of sleeping."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

CITY_TIMEZONE = ZoneInfo("Europe/Berlin")  # a date a caseworker names (a due date) is a day in the city


def end_of_day(day: date) -> datetime:
    """The last second of `day` in the city, as UTC: a task due on a date is due until that day ends there."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=CITY_TIMEZONE).astimezone(UTC)


class Clock(Protocol):
    def now(self) -> datetime:
        """Current time, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that only moves when told to (tests, benchmarks, simulations)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, moment: datetime) -> None:
        self._now = moment
