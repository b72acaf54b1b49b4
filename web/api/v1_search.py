"""JSON API v1: full-text search."""

from __future__ import annotations

import dataclasses

from flask import Response, jsonify, request

from web.api.v1 import bp
from web.principal import current_principal
from web.services import int_arg, services


@bp.get("/search")
def search_endpoint() -> tuple[Response, int]:
    """Full-text search within what the caller may see: `?q=…&size=20&cursor=…`."""
    from search.service import search

    result = search(services().search.index, current_principal(), request.args.get("q", ""),
                    size=int_arg("size", 20), cursor=request.args.get("cursor") or None)
    return jsonify(dataclasses.asdict(result)), 200
