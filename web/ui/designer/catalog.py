"""Designer pages: the procedure catalogue, one version (diagram, download, decision tables, form previews) and
the upload of model files with its validation report (routes on the `designer` blueprint, role `designer`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import Response, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.routing import BuildError

from engine.catalog import FormPreview, VersionDetail, catalogue, version_detail, version_form
from engine.deploy import DeployResult, deploy
from engine.modeledit import version_source
from engine.workflow.problems import ModelRejected, Problem
from web.api.v1_content import content_disposition
from web.forms import build_form, parse_submission, render_form, validate
from web.i18n import LANGUAGES
from web.people import require_identity, requires_role
from web.services import services
from web.ui.designer import bp
from web.ui.designer.modelfiles import CollectedFiles, collect_uploads

MAX_FILES_TOGETHER = 20  # the total upload limit, in single-file limits (like the app's MAX_CONTENT_LENGTH)


@bp.get("/")
@requires_role("designer")
def index() -> str:
    search = request.args.get("q", "").strip()[:200]
    with services().db.unit_of_work() as uow:
        processes = catalogue(uow, search=search or None)
    return render_template("designer/index.html", processes=processes, search=search)


@bp.get("/processes/<key>/<int:version>")
@requires_role("designer")
def version(key: str, version: int) -> str:
    with services().db.unit_of_work() as uow:
        detail = version_detail(uow, key, version)
    return render_template("designer/version.html", detail=detail, entry=detail.entry, related=_related(detail))


def _related(detail: VersionDetail) -> list[tuple[str, str]]:
    """Links to the modeler, the diff with the previous version and the migration of this version's running
    instances to the latest (the pages of web/ui/designer/editor.py and migration.py, where present)."""
    entry, versions = detail.entry, detail.versions
    wanted: list[tuple[str, str, dict[str, Any]]] = [
        (_("Open in the modeler"), "designer.edit", {"key": entry.key, "version": entry.version})]
    older = [number for number in versions if number < entry.version]
    if older:
        wanted.append((_("Compare with the previous version"), "designer.diff",
                       {"key": entry.key, "from": older[0], "to": entry.version}))
    if entry.running and versions and entry.version != versions[0]:
        wanted.append((_("Migrate running instances to the latest version"), "designer.migration",
                       {"key": entry.key, "from": entry.version, "to": versions[0]}))
    links = []
    for label, endpoint, values in wanted:
        try:
            links.append((label, url_for(endpoint, **values)))
        except BuildError:
            continue  # that page is not part of this installation
    return links


@bp.get("/processes/<key>/<int:version>.bpmn")
@requires_role("designer")
def version_bpmn(key: str, version: int) -> Response:
    """The version's BPMN XML as deployed, for the bpmn-js viewer, the modeler and the diff (same origin, not
    cached beyond the session)."""
    with services().db.unit_of_work() as uow:
        source = version_source(uow, key, version)
    return Response(source.bpmn_xml, mimetype="application/xml", headers={"Cache-Control": "private, no-cache"})


@bp.get("/processes/<key>/<int:version>/download")
@requires_role("designer")
def version_download(key: str, version: int) -> Response:
    with services().db.unit_of_work() as uow:
        source = version_source(uow, key, version)
    source_file = source.source_file
    stem = source_file.rsplit(".", 1)[0] if "." in source_file else source_file
    return Response(source.bpmn_xml, mimetype="application/xml",
                    headers={"Content-Disposition": content_disposition("attachment", f"{stem}-v{version}.bpmn")})


def _preview_language() -> str:
    lang = request.args.get("lang", "de")
    return lang if lang in LANGUAGES else "de"


def _render_preview(form: FormPreview, lang: str, values: dict[str, Any] | None = None,
                    errors: dict[str, str] | None = None, focus: str | None = None) -> Markup:
    """The form exactly as the task page renders it (same builder and macros), in `lang`."""
    with force_locale(lang):
        view = build_form(form.schema, form.ui_schema, values or {}, errors or {}, lang, focus=focus)
        return render_form(view)


@bp.route("/processes/<key>/<int:version>/forms/<element_id>", methods=["GET", "POST"])
@requires_role("designer")
def form_preview(key: str, version: int, element_id: str) -> tuple[str, int]:
    """A user task's form as caseworkers see it, in German or English (?lang=en). Submitting checks the entries
    like completing the task would (messages per field); nothing is stored and uploaded files are dropped."""
    lang = _preview_language()
    with services().db.unit_of_work() as uow:
        form = version_form(uow, key, version, element_id)
    checked: str | None = None
    status = 200
    if request.method == "POST":
        with force_locale(lang):
            submission = parse_submission(form.schema, request.form, request.files, ui_schema=form.ui_schema)
            if submission.action is not None:
                html = _render_preview(form, lang, submission.values, {}, submission.focus)
            else:
                errors = validate(form.schema, submission.data, submission.errors, lang)
                html = _render_preview(form, lang, submission.values, errors)
                status = 400 if errors else 200
                if not errors:
                    checked = json.dumps(submission.data, ensure_ascii=False, indent=2, sort_keys=True)
    else:
        html = _render_preview(form, lang)
    return render_template("designer/form_preview.html", form=form, preview=html, lang=lang,
                           languages=LANGUAGES, checked=checked), status


@dataclass(frozen=True)
class UploadedModel:
    """An uploaded BPMN file shown beside the report, its problem elements highlighted."""

    name: str
    xml: str
    elements: list[str]


def _uploaded_models(collected: CollectedFiles, problems: list[Problem]) -> list[UploadedModel]:
    models = []
    for source in collected.files:
        elements = sorted({p.element_id for p in problems if p.file == source.name and p.element_id != "-"})
        if source.name.lower().endswith(".bpmn") and any(p.file == source.name for p in problems):
            models.append(UploadedModel(source.name, source.content.decode("utf-8", "replace"), elements))
    return models


def _deploy(collected: CollectedFiles) -> tuple[DeployResult | None, list[Problem]]:
    svc = services()
    try:
        with svc.db.unit_of_work() as uow:
            result = deploy(uow, svc.engine, collected.files, deployed_by=require_identity().login)
            uow.commit()
    except ModelRejected as rejected:
        return None, list(rejected.problems)
    return result, list(result.warnings)


@bp.get("/upload")
@requires_role("designer")
def upload_page() -> str:
    return render_template("designer/upload.html", **_upload_context())


def _upload_context(**values: Any) -> dict[str, Any]:
    limit = services().settings.max_model_bytes
    context: dict[str, Any] = {"max_bytes": limit, "max_total_bytes": limit * MAX_FILES_TOGETHER, "result": None,
                               "problems": [], "models": [], "skipped": [], "files": [], "rejected": False}
    context.update(values)
    return context


@bp.post("/upload")
@requires_role("designer")
def upload() -> tuple[str, int]:
    """Validate all uploaded files together; deploy them only if there is no error (warnings do not block)."""
    sent = [item for item in request.files.getlist("files") if item.filename]
    if not sent:
        return render_template("designer/upload.html", **_upload_context(
            missing=_("Choose one or more model files or a zip file."))), 400
    limit = services().settings.max_model_bytes
    collected = collect_uploads(sent, max_bytes=limit, max_total_bytes=limit * MAX_FILES_TOGETHER)
    if collected.problems:
        result, problems = None, collected.problems
    elif not collected.files:
        result, problems = None, [Problem("-", None, "-", "the upload contains no model file")]
    else:
        result, problems = _deploy(collected)
    models = _uploaded_models(collected, problems)
    context = _upload_context(result=result, problems=problems, models=models, skipped=collected.skipped,
                              files=[source.name for source in collected.files], rejected=result is None)
    return render_template("designer/upload.html", **context), 200 if result is not None else 422
