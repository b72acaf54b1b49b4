"""Supervisor pages: dashboard per procedure (routes on the `supervisor` blueprint)."""

from __future__ import annotations

from flask import render_template

from engine.deploy import procedures
from web.people import requires_role
from web.services import services
from web.ui.supervisor import bp


@bp.get("/")
@requires_role("supervisor")
def index() -> str:
    with services().db.unit_of_work() as uow:
        keys = procedures(uow)
    return render_template("supervisor/index.html", procedures=keys)
