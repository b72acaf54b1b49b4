"""Access to the wired services from inside a request."""

from __future__ import annotations

import json
from typing import Any

from flask import current_app, request

from core.bootstrap import Services
from core.errors import ValidationFailed


def services() -> Services:
    found: Services = current_app.extensions["akte"]
    return found


def json_body(*, required: bool = True) -> dict[str, Any]:
    """The request's JSON object; a missing or malformed body is a 400 with a clear message."""
    if not required and not request.get_data(cache=True):
        return {}
    if not request.is_json:
        raise ValidationFailed("the request body must be JSON (Content-Type: application/json)")
    try:
        body = json.loads(request.get_data(cache=True), parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise ValidationFailed("the request body is not valid JSON (NaN and Infinity are not allowed)") from None
    if not isinstance(body, dict):
        raise ValidationFailed("the request body must be a JSON object")
    _check_nul(body, "body")
    return body


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not allowed")


def _check_nul(value: Any, where: str) -> None:
    if isinstance(value, str):
        no_nul(value, where)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_nul(key, where)
            _check_nul(item, f"{where}.{key}" if where != "body" else str(key))
    elif isinstance(value, list):
        for item in value:
            _check_nul(item, where)


def no_nul(value: str, where: str) -> str:
    """Text as given, unless it holds a NUL character (no database stores those)."""
    if "\x00" in value:
        raise ValidationFailed(f"'{where}' contains a NUL character", {where: "NUL character"})
    return value



def int_arg(name: str, default: int) -> int:
    """A positive whole-number query parameter (ASCII digits only); anything else names the parameter."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdecimal()) or int(raw) < 1:
        raise ValidationFailed(f"'{name}' must be a positive whole number", {name: "positive whole number"})
    return int(raw)
