"""SpiffWorkflow's timers read `datetime.now()` directly; this gives them akte's injectable clock.

The timer module's `datetime` name is replaced once by a subclass whose `now()` returns the moment set by
`at(moment)` for the current thread/context (and the real time outside it). Every runtime call that may
start, evaluate or fire a timer runs inside `at(clock.now())`, so tests move time instead of sleeping.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, tzinfo

import SpiffWorkflow.bpmn.specs.event_definitions.timer as _spiff_timer

_MOMENT: contextvars.ContextVar[datetime | None] = contextvars.ContextVar("akte_engine_now", default=None)


class _ClockedDatetime(datetime):
    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        moment = _MOMENT.get()
        if moment is None:
            return datetime.now(tz)
        return moment.astimezone(tz) if tz is not None else moment


_spiff_timer.datetime = _ClockedDatetime


@contextmanager
def at(moment: datetime) -> Iterator[None]:
    """Run the enclosed Spiff calls as if it were `moment` (timezone-aware)."""
    token = _MOMENT.set(moment)
    try:
        yield
    finally:
        _MOMENT.reset(token)


def current_iso() -> str | None:
    """The moment set by `at` as ISO text (for the script sandbox), or None outside it."""
    moment = _MOMENT.get()
    return moment.isoformat() if moment is not None else None
