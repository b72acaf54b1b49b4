"""Designer pages: the procedure catalogue (routes on the `designer` blueprint)."""

from __future__ import annotations

from flask import render_template

from engine.deploy import list_definitions
from web.people import requires_role
from web.services import services
from web.ui.designer import bp


@bp.get("/")
@requires_role("designer")
def index() -> str:
    with services().db.unit_of_work() as uow:
        definitions = list_definitions(uow)
    return render_template("designer/index.html", definitions=definitions)
