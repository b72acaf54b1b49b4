"""ISO 8601 time arithmetic for akte: durations from a moment, and when timer start events start instances."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from core.errors import ValidationFailed
from engine.workflow import clocked


def parse_iso_duration(text: str, start: datetime) -> datetime:
    """`start` plus an ISO-8601 duration such as P14D or PT2H (months/years by calendar)."""
    parsed = TimerEventDefinition.parse_iso_duration(text)
    delta: timedelta = TimerEventDefinition.get_timedelta_from_start(parsed, start)
    return start + delta


@dataclass(frozen=True)
class StartSchedule:
    due: datetime
    cycles_left: int  # further starts after `due`; -1 = for ever
    period_seconds: float


def start_schedule(value: object, now: datetime) -> StartSchedule:
    """The first start for a timer value (e.g. "2026-12-01T08:00:00Z", "P1D", "R4/P7D") seen at `now`."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed(f"timer start value {value!r} is not an ISO 8601 date, duration or cycle")
    text = value.strip()
    try:
        with clocked.at(now):
            if text.upper().startswith("R"):
                cycles, start, period = TimerEventDefinition.parse_iso_recurring_interval(text)
                remaining = -1 if cycles < 0 else max(cycles - 1, 0)
                return StartSchedule(start, remaining, period.total_seconds())
            if text.upper().startswith("P"):
                return StartSchedule(parse_iso_duration(text, now), 0, 0.0)
            return StartSchedule(TimerEventDefinition.get_datetime(text), 0, 0.0)
    except Exception as exc:
        raise ValidationFailed(f"timer start value {text!r} is not valid ISO 8601: {exc}") from exc


def next_start(due: datetime, cycles_left: int, period_seconds: float) -> StartSchedule | None:
    """The start after `due`, or None when the cycle is used up."""
    if cycles_left == 0:
        return None
    return StartSchedule(due + timedelta(seconds=period_seconds), cycles_left - 1 if cycles_left > 0 else -1,
                         period_seconds)
