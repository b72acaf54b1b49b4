"""Helpers shared by the `akte` command modules: services from the environment, JSON in and out."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import click

from core.bootstrap import Services, bootstrap
from core.errors import ValidationFailed
from core.settings import load_settings


@contextmanager
def services_from_env() -> Iterator[Services]:
    services = bootstrap(load_settings())
    try:
        yield services
    finally:
        services.db.dispose()


def parse_json(value: str | None, option: str) -> dict[str, Any]:
    if value is None:
        return {}
    try:
        parsed = json.loads(value, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise ValidationFailed(f"{option} is not valid JSON: {exc.msg} at position {exc.pos}") from exc
    except ValueError as exc:
        raise ValidationFailed(f"{option} is not valid JSON: {exc}") from exc
    if not isinstance(parsed, dict):
        raise ValidationFailed(f"{option} must be a JSON object")
    return parsed


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not allowed")


def print_rows(rows: Sequence[Any], as_json: bool, line: Callable[[Any], str]) -> None:
    """A listing: the rows as JSON, or one tab-separated `line(row)` each."""
    if as_json:
        print_json(list(rows))
        return
    for row in rows:
        click.echo(line(row))


def print_json(value: Any) -> None:
    if isinstance(value, list):
        value = [dataclasses.asdict(item) for item in value]
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))
