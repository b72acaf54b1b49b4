"""Maps domain errors to HTTP once: `{"error": {"code", "message", "details"}}`."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from core.errors import AkteError, Conflict, Forbidden, NotFound, Unavailable, ValidationFailed

log = logging.getLogger(__name__)

STATUS_BY_ERROR: dict[type[AkteError], int] = {
    ValidationFailed: 400,
    NotFound: 404,
    Forbidden: 403,
    Conflict: 409,
    Unavailable: 503,
}


def error_response(status: int, code: str, message: str, details: object = None) -> tuple[Response, int]:
    return jsonify({"error": {"code": code, "message": message, "details": details}}), status


def _status_of(error: AkteError) -> int:
    for cls, status in STATUS_BY_ERROR.items():
        if isinstance(error, cls):
            return status
    return 500


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(AkteError)
    def _domain(error: AkteError) -> tuple[Response, int]:
        return error_response(_status_of(error), error.code, error.message, error.details)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> tuple[Response, int] | HTTPException:
        if not request.path.startswith("/api/"):
            return error
        code = (error.name or "error").lower().replace(" ", "_")
        return error_response(error.code or 500, code, error.description or error.name or "error")

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> tuple[Response, int]:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "an internal error occurred; it has been logged")
