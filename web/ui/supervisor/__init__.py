"""Pages for supervisors (role `supervisor`): dashboard per procedure with charts and tables, case list, heatmap
on the diagram, incidents, reassigning tasks and changing due dates.

One blueprint, `supervisor`; each module below adds its routes to it.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("supervisor", __name__, url_prefix="/supervisor")

from web.ui.supervisor import cases, dashboard, incidents  # noqa: E402,F401  (they register their routes on bp)
