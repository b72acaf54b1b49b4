"""The search box on every page: results from the search service, filtered by the user's permissions."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import format_decimal

from core.errors import ValidationFailed
from search.service import search
from web.people import require_identity
from web.services import services

bp = Blueprint("ui_search", __name__)
PAGE_SIZE = 20


@bp.get("/search")
def results() -> str | tuple[str, int]:
    principal = require_identity().principal()
    query = request.args.get("q", "").strip()
    if not query:
        return render_template("search/results.html", query="", result=None, error=None)
    try:
        result = search(services().search.index, principal, query, size=PAGE_SIZE, cursor=request.args.get("cursor"))
    except ValidationFailed as error:
        return render_template("search/results.html", query=query, result=None, error=error.message), 400
    return render_template("search/results.html", query=query, result=result, error=None,
                           total=format_decimal(result.total))
