"""Fixtures for unit tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask_babel import Babel


@pytest.fixture
def request_context() -> Iterator[None]:
    """A Flask request context with Flask-Babel (German default), for code that translates messages."""
    app = Flask(__name__)
    app.config["BABEL_DEFAULT_LOCALE"] = "de"
    Babel(app)
    with app.test_request_context():
        yield
