"""The pages for people (caseworkers, designers, supervisors), one blueprint per area."""

from __future__ import annotations

from flask import Flask

from web.ui import auth, cases, designer, einvoices, inbox, profile, search_page, supervisor, tasks


def register_pages(app: Flask) -> None:
    for module in (auth, cases, designer, einvoices, inbox, profile, search_page, supervisor, tasks):
        app.register_blueprint(module.bp)
