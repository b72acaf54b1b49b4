"""Security defaults for every response and form: CSRF, cookie flags, CSP and related headers."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, Response, request
from flask_wtf.csrf import CSRFProtect

from core.settings import Settings

csrf = CSRFProtect()

# bpmn-js sets style attributes on SVG nodes, so inline styles are allowed; scripts only from akte itself
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self' data:; frame-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'self'"
)


def init_security(app: Flask, settings: Settings) -> None:
    app.config.update(
        SESSION_COOKIE_NAME="akte_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        REMEMBER_COOKIE_SECURE=settings.secure_cookies,
        REMEMBER_COOKIE_HTTPONLY=True,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_hours),
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        WTF_CSRF_CHECK_DEFAULT=False,  # checked in `protect_forms` (the API with a bearer token is exempt)
    )
    csrf.init_app(app)

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        if request.path.startswith(("/api/", "/inbox", "/tasks", "/cases")):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def protect_forms() -> None:
    """CSRF check for every state-changing page request (the API calls `api_protect` after its sign-in check,
    so that a missing token is a 401, not a CSRF error)."""
    if not request.path.startswith("/api/"):
        api_protect()


def api_protect() -> None:
    """CSRF for state-changing requests, unless authenticated by a bearer token (no cookie, nothing to forge)."""
    from web.people import by_token

    if request.method in ("GET", "HEAD", "OPTIONS") or by_token():
        return
    csrf.protect()
