"""Maps domain errors to HTTP once: JSON `{"error": {"code", "message", "details"}}` under /api/, an HTML
page (or the sign-in redirect) for people."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from accounts.signin import SignInRefused, TooManyAttempts
from core.errors import AkteError, Conflict, Forbidden, NotFound, Unavailable, ValidationFailed
from web.people import NotSignedIn

log = logging.getLogger(__name__)

STATUS_BY_ERROR: dict[type[AkteError], int] = {
    ValidationFailed: 400,
    NotSignedIn: 401,
    SignInRefused: 401,
    NotFound: 404,
    Forbidden: 403,
    Conflict: 409,
    TooManyAttempts: 429,
    Unavailable: 503,
}


def error_response(status: int, code: str, message: str, details: object = None) -> tuple[Response, int]:
    return jsonify({"error": {"code": code, "message": message, "details": details}}), status


def _status_of(error: AkteError) -> int:
    for cls, status in STATUS_BY_ERROR.items():
        if isinstance(error, cls):
            return status
    return 500


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/health"


def error_page(status: int, message: str) -> tuple[str, int]:
    titles = {400: _("The request could not be processed"), 401: _("Please sign in"),
              403: _("Access denied"), 404: _("Not found"), 409: _("Conflict"),
              429: _("Too many requests"), 503: _("Temporarily unavailable")}
    return render_template("error.html", title=titles.get(status, _("Something went wrong")),
                           message=message), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(AkteError)
    def _domain(error: AkteError) -> tuple[Response, int] | tuple[str, int] | BaseResponse:
        status = _status_of(error)
        if wants_json():
            return error_response(status, error.code, error.message, error.details)
        if isinstance(error, NotSignedIn):
            return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
        if isinstance(error, NotFound):  # an invisible file does not exist for the user: say only that
            return error_page(404, _("This page does not exist or you may not see it."))
        if isinstance(error, Forbidden):
            return error_page(403, _("You are not allowed to do this."))
        return error_page(status, error.message)

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> tuple[Response, int] | tuple[str, int]:
        message = "the form's security token is missing or expired; reload the page and try again"
        if wants_json():
            return error_response(400, "csrf_failed", message)
        return error_page(400, _("The form's security token is missing or expired. Reload the page and try again."))

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> tuple[Response, int] | HTTPException:
        if not wants_json():
            return error
        code = (error.name or "error").lower().replace(" ", "_")
        return error_response(error.code or 500, code, error.description or error.name or "error")

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> tuple[Response, int] | tuple[str, int]:
        log.exception("unhandled error on %s %s", request.method, request.path)
        if wants_json():
            return error_response(500, "internal_error", "an internal error occurred; it has been logged")
        return error_page(500, _("An internal error occurred; it has been logged."))
