"""Flask application factory."""

from __future__ import annotations

import gc
from datetime import date
from typing import Any

from flask import Flask, Response, jsonify
from flask.json.provider import DefaultJSONProvider
from flask_babel import get_locale
from werkzeug.middleware.proxy_fix import ProxyFix

from core.bootstrap import Services, bootstrap, secret_key
from core.settings import Settings
from web.api import (
    v1_content,  # noqa: F401  (adds the document content route)
    v1_einvoice,  # noqa: F401  (adds the e-invoice intake routes)
    v1_ops,  # noqa: F401  (adds the message, incident and lifecycle routes)
    v1_records,  # noqa: F401  (adds the e-file routes)
    v1_search,  # noqa: F401  (adds the search route)
)
from web.api.v1 import bp as api_v1
from web.errors import error_response, register_error_handlers
from web.i18n import init_i18n
from web.people import current_identity, init_login
from web.security import init_security, protect_forms
from web.ui import register_pages


def freeze_startup_objects() -> None:
    """Move everything alive after start-up out of the garbage collector's view (`gc.freeze`): full
    collections then walk only what requests create, instead of ~200,000 long-lived objects each time
    (measured: they set the inbox page's p95 — bench/inbox_page.py)."""
    gc.collect()
    gc.freeze()


class IsoJSONProvider(DefaultJSONProvider):
    """Dates and times as ISO 8601 (what the API accepts), not Flask's HTTP-date default."""

    @staticmethod
    def default(o: Any) -> Any:
        if isinstance(o, date):  # datetime too
            return o.isoformat()
        return DefaultJSONProvider.default(o)


def create_app(settings: Settings | None = None, *, services: Services | None = None) -> Flask:
    services = services or bootstrap(settings)
    app = Flask(__name__)
    app.json = IsoJSONProvider(app)
    app.config.update(
        SECRET_KEY=secret_key(services.settings),
        MAX_CONTENT_LENGTH=services.settings.max_model_bytes * 20,
        JSON_SORT_KEYS=False,
    )
    app.extensions["akte"] = services
    if services.settings.proxy_hops:  # the client address (sign-in rate limit) and scheme come from the proxy
        hops = services.settings.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    init_security(app, services.settings)
    init_login(app)
    init_i18n(app)
    register_error_handlers(app)
    app.before_request(protect_forms)
    app.register_blueprint(api_v1)
    register_pages(app)

    @app.context_processor
    def _template_globals() -> dict[str, Any]:
        return {"identity": current_identity(), "current_language": lambda: str(get_locale() or "de")}

    @app.get("/health")
    def health() -> tuple[Response, int]:
        from sqlalchemy import text

        try:
            with services.db.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as exc:
            return error_response(503, "unavailable", f"database unreachable: {type(exc).__name__}")
        return jsonify({"status": "ok", "database": services.db.backend}), 200

    return app
