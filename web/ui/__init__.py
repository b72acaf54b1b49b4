"""The pages for people (caseworkers now; designers and supervisors later), one blueprint per area."""

from __future__ import annotations

from flask import Flask

from web.ui import auth, cases, einvoices, inbox, profile, search_page, tasks


def register_pages(app: Flask) -> None:
    for module in (auth, cases, einvoices, inbox, profile, search_page, tasks):
        app.register_blueprint(module.bp)
