"""German by default, English second: Flask-Babel with the user's, the session's or the browser's choice."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, request, session
from flask_babel import Babel

LANGUAGES = ("de", "en")
DEFAULT_LANGUAGE = "de"
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def select_locale() -> str:
    """A signed-in user's saved language, else the one chosen in this session, else Accept-Language."""
    from web.people import current_identity  # people needs the app's services; import late

    identity = current_identity()
    if identity is not None and identity.locale in LANGUAGES:
        return identity.locale
    chosen = session.get("locale")
    if chosen in LANGUAGES:
        return str(chosen)
    return request.accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE) or DEFAULT_LANGUAGE


def init_i18n(app: Flask) -> None:
    app.config.update(BABEL_DEFAULT_LOCALE=DEFAULT_LANGUAGE, BABEL_DEFAULT_TIMEZONE="Europe/Berlin",
                      BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS))
    Babel(app, locale_selector=select_locale)
