"""Turns a user task's deployed metadata (assignee, groups, dates, priority) into concrete values.

Values may be literals ("mueller", "P14D", "2026-03-01") or expressions over the process data, written
`=expression` by the model parser (Camunda's `${clerk}` arrives as `=clerk`). A dotted name
(`=applicant.clerk`) is looked up directly; anything else is evaluated in the script sandbox.
Dates: an ISO date means the end of that day (UTC), an ISO datetime is taken as is, an ISO duration
counts from the task's creation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from core.clock import end_of_day
from engine.workflow.schedule import parse_iso_duration

_DOTTED = re.compile(r"^\s*([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\s*$")
_LEGACY_REFERENCE = re.compile(r"^\$\{(.*)\}$", re.S)
DEFAULT_PRIORITY = 50

Evaluator = Callable[[str, dict[str, Any]], Any]


def _no_evaluator(expression: str, data: dict[str, Any]) -> Any:
    return None


def _lookup(value: str, data: dict[str, Any], evaluate: Evaluator = _no_evaluator) -> Any:
    text = value.strip()
    legacy = _LEGACY_REFERENCE.match(text)
    if legacy is not None:
        text = "=" + legacy.group(1)
    if not text.startswith("="):
        return value
    expression = text[1:]
    dotted = _DOTTED.match(expression)
    if dotted is None:
        try:
            return evaluate(expression, data)
        except Exception:  # a failing expression leaves the value unset; the task is still created
            return None
    current: Any = data
    for part in dotted.group(1).split("."):
        if not isinstance(current, dict) or part not in current:
            return None
        current = current[part]
    return current


def resolve_assignee(value: str | None, data: dict[str, Any], evaluate: Evaluator = _no_evaluator) -> str | None:
    if not value:
        return None
    resolved = _lookup(value, data, evaluate)
    return str(resolved) if resolved not in (None, "") else None


def resolve_moment(
    value: str | None, data: dict[str, Any], now: datetime, evaluate: Evaluator = _no_evaluator
) -> datetime | None:
    """A due or follow-up moment; unparseable values yield None (the deploy check warns about them)."""
    if not value:
        return None
    resolved = _lookup(value, data, evaluate)
    if isinstance(resolved, datetime):
        return resolved if resolved.tzinfo else resolved.replace(tzinfo=UTC)
    if isinstance(resolved, date):
        return end_of_day(resolved)
    if not isinstance(resolved, str):
        return None
    text = resolved.strip()
    try:
        if text.startswith(("P", "p")):
            return parse_iso_duration(text.upper(), now)
        if len(text) == 10:
            return end_of_day(date.fromisoformat(text))
        moment = datetime.fromisoformat(text)
    except (ValueError, TypeError, AttributeError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def resolve_priority(value: Any, data: dict[str, Any], evaluate: Evaluator = _no_evaluator) -> int:
    if value is None or value == "":
        return DEFAULT_PRIORITY
    resolved = _lookup(value, data, evaluate) if isinstance(value, str) else value
    try:
        return int(resolved)
    except (TypeError, ValueError):
        return DEFAULT_PRIORITY


def resolve_groups(value: Any, data: dict[str, Any], evaluate: Evaluator = _no_evaluator) -> list[str]:
    groups: list[str] = []
    for item in value or []:
        resolved = _lookup(item, data, evaluate) if isinstance(item, str) else item
        if isinstance(resolved, list):
            groups.extend(str(group) for group in resolved)
        elif resolved:
            groups.extend(part.strip() for part in str(resolved).split(",") if part.strip())
    return sorted(set(groups))
