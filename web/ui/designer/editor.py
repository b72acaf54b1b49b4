"""Designer pages: the bpmn-js modeler with akte's properties panel, saving an edited model as a new version,
and the visual diff between two versions (routes on the `designer` blueprint).

The browser POSTs the edited XML as the request body (CSRF token in the X-CSRFToken header); the answer is an
HTML fragment the page shows: the validation report (422, nothing deployed) or a link to the new version (201).
"""

from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _

from core.errors import NotFound
from engine.modeledit import (
    deployed_form_names,
    save_edited_version,
    version_diff,
    version_numbers,
    version_source,
)
from engine.workflow.problems import ModelRejected, Problem
from web.people import require_identity, requires_role
from web.services import services
from web.ui.designer import bp

__all__ = ["bp"]


@bp.get("/processes/<key>/<int:version>/edit")
@requires_role("designer")
def edit(key: str, version: int) -> str:
    svc = services()
    with svc.db.unit_of_work() as uow:
        source = version_source(uow, key, version)
        versions = version_numbers(uow, key)
        forms = deployed_form_names(uow)
    return render_template("designer/editor.html", source=source, latest=versions[-1], forms=forms,
                           handlers=svc.engine.handlers.names())


@bp.post("/processes/<key>/<int:version>/edit")
@requires_role("designer")
def save(key: str, version: int) -> tuple[str, int]:
    """Validate the posted XML and deploy it as the next version of `key`; answers with an HTML fragment."""
    identity = require_identity()
    svc = services()
    limit = svc.engine.max_model_bytes
    with svc.db.unit_of_work() as uow:
        source = version_source(uow, key, version)
        xml = _posted_xml(limit)
        if xml is None:
            problem = Problem(source.source_file, None, "-", f"the model is larger than the limit of {limit} bytes")
            return _problems_fragment([problem]), 422
        try:
            result = save_edited_version(uow, svc.engine, key, source.source_file, xml, deployed_by=identity.login)
        except ModelRejected as rejected:
            return _problems_fragment(rejected.problems), 422
        uow.commit()
    saved = next(process for process in result.processes if process.key == key)
    html = render_template("designer/_save_result.html", key=key, based_on=version, saved=saved,
                           problems=result.warnings)
    return html, 201 if saved.new_version else 200


@bp.get("/processes/<key>/diff")
@requires_role("designer")
def diff(key: str) -> str:
    """Differences between two versions (`from`, `to`; default: the latest and the one before)."""
    svc = services()
    with svc.db.unit_of_work() as uow:
        versions = version_numbers(uow, key)
        if not versions:
            raise NotFound(f"process {key} is not deployed")
        newer = _version_arg("to", versions[-1])
        older = _version_arg("from", max(newer - 1, versions[0]))
        before = version_source(uow, key, older)
        after = version_source(uow, key, newer)
        changes = version_diff(uow, svc.engine, key, older, newer)
    return render_template("designer/diff.html", key=key, versions=versions, before=before, after=after,
                           diff=changes)


def _version_arg(name: str, default: int) -> int:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdecimal():
        raise NotFound(_("There is no version %(version)s.", version=raw))
    return int(raw)


def _posted_xml(limit: int) -> bytes | None:
    """The request body, read no further than the size limit (None when it is larger)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    body = request.stream.read(limit + 1)
    return None if len(body) > limit else body


def _problems_fragment(problems: list[Problem]) -> str:
    return render_template("designer/_save_result.html", saved=None, problems=problems)
