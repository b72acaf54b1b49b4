"""Pages for process designers (role `designer`): procedure catalogue, upload with validation report, versions
in bpmn-js, the modeler, visual diff, form preview and migration of running instances.

One blueprint, `designer`; each module below adds its routes to it.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("designer", __name__, url_prefix="/designer")

from web.ui.designer import catalog, editor, migration  # noqa: E402,F401  (they register their routes on bp)
