"""Access to the wired services from inside a request."""

from __future__ import annotations

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
    body = request.get_json(silent=True)
    if body is None:
        raise ValidationFailed("the request body is not valid JSON")
    if not isinstance(body, dict):
        raise ValidationFailed("the request body must be a JSON object")
    return body

