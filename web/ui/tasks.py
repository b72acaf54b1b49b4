"""A task's page: its form rendered from the JSON schema, drafts, completion, and the case beside it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from accounts.identity import Identity
from core.db import UnitOfWork
from core.errors import AkteError, NotFound, ValidationFailed
from core.ids import parse_uuid
from engine.actors import TaskActor, may_work
from engine.drafts import get_draft, save_draft
from engine.instances import get_instance
from engine.taskforms import task_form
from engine.tasks import complete_task, get_task
from engine.views import TaskView
from records.documents import Upload, add_document, get_document
from web.forms import Submission, build_form, field_messages, parse_submission, validate
from web.forms.documents import document_values
from web.people import require_identity, task_actor
from web.services import services
from web.ui.cases import case_context
from web.ui.delegation import delegation_targets
from web.ui.inbox import perform

bp = Blueprint("tasks", __name__)


def _visible_task(uow: UnitOfWork, identity: Identity, actor: TaskActor, task_id: str) -> TaskView:
    """The task if the user may work on it (or supervises); otherwise it does not exist for them."""
    task = get_task(uow, task_id)
    if not may_work(actor, task) and not identity.has_role("supervisor"):
        raise NotFound(f"task {task_id} not found")
    return task


def _page(task_id: str, values: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
          focus: str | None = None, status: int = 200) -> tuple[str, int]:
    identity = require_identity()
    actor = task_actor(identity)
    svc = services()
    with svc.db.unit_of_work() as uow:
        task = _visible_task(uow, identity, actor, task_id)
        form_meta = task_form(uow, parse_uuid(task_id, "task"))
        instance = get_instance(uow, task.instance_id)
        draft = get_draft(uow, actor, task_id) if task.status == "open" and may_work(actor, task) else None
        shown = values if values is not None else (draft if draft is not None else dict(instance.data))
        case_id = instance.data.get("case_id")
        try:
            case = case_context(uow, identity.principal(), case_id) if isinstance(case_id, str) else None
        except NotFound:
            case = None  # the user works on the task but may not see the file
        context = {"task": task, "instance": instance, "draft": draft is not None and values is None,
                   "form": build_form(task.form_schema, form_meta.ui_schema, shown, errors or {},
                                      str(get_locale() or "de"), focus=focus),
                   "instructions": form_meta.instructions, "may_work": may_work(actor, task),
                   **delegation_targets(uow, identity), "case_panel": case}
    return render_template("tasks/show.html", **{**(case or {}), **context}), status


@bp.get("/tasks/<task_id>")
def show(task_id: str) -> tuple[str, int]:
    return _page(task_id)


def _store_uploads(uow: UnitOfWork, identity: Identity, case_id: Any, submission: Submission) -> None:
    """File fields: each upload becomes a document of the case; the field's value is its id."""
    for path, upload in submission.uploads.items():
        if not isinstance(case_id, str):
            raise ValidationFailed(_("This task has no case to keep documents in."), {path: _("No case.")})
        view = add_document(uow, services().records, identity.principal(),
                            Upload(upload.stream, upload.filename, upload.mimetype), case_id=case_id)
        submission.set_document(path, str(view.id))


def _foreign_documents(uow: UnitOfWork, identity: Identity, case_id: Any, schema: dict[str, Any] | None,
                       submission: Submission) -> dict[str, str]:
    """File fields sent back with a document id must name a document of this very case."""
    problems: dict[str, str] = {}
    for path, value in document_values(schema, submission.data):
        if path in submission.uploads:
            continue
        try:
            document = get_document(uow, identity.principal(), value)
        except (NotFound, ValidationFailed):
            document = None
        if document is None or str(document.case_id) != str(case_id):
            problems[path] = _("This document does not belong to the case.")
    return problems


@bp.post("/tasks/<task_id>")
def submit(task_id: str) -> BaseResponse | tuple[str, int]:
    identity = require_identity()
    actor = task_actor(identity)
    svc = services()
    with svc.db.unit_of_work() as uow:
        task = _visible_task(uow, identity, actor, task_id)
        instance = get_instance(uow, task.instance_id)
        ui_schema = task_form(uow, parse_uuid(task_id, "task")).ui_schema
    submission = parse_submission(task.form_schema, request.form, request.files, ui_schema=ui_schema,
                                  current=instance.data)
    if submission.action is not None:  # "add another" / "remove": show the form again, nothing saved
        return _page(task_id, submission.values, {}, submission.focus)
    if request.form.get("_save") == "draft":
        with svc.db.unit_of_work() as uow:
            save_draft(uow, actor, task_id, submission.values)
            uow.commit()
        flash(_("Draft saved."), "info")
        return redirect(url_for("tasks.show", task_id=task_id))
    try:
        with svc.db.unit_of_work() as uow:
            # uploads first: a required file field then validates, and a chosen file survives other errors
            _store_uploads(uow, identity, instance.data.get("case_id"), submission)
            errors = validate(task.form_schema, submission.data, submission.errors)
            errors.update(_foreign_documents(uow, identity, instance.data.get("case_id"), task.form_schema,
                                             submission))
            if not errors:
                complete_task(uow, svc.engine, task_id, submission.data, actor=actor)
            uow.commit()
    except ValidationFailed as error:
        errors = field_messages(task.form_schema, submission.data, error)
    except AkteError as error:
        flash(error.message, "error")
        return redirect(url_for("tasks.show", task_id=task_id))
    if errors:
        return _page(task_id, submission.values, errors, status=400)
    flash(_("Task “%(name)s” completed.", name=task.name), "info")
    return redirect(url_for("inbox.index"))


@bp.post("/tasks/<task_id>/manage")
def manage(task_id: str) -> BaseResponse:
    """Claim, return, delegate, follow-up date and priority of one task (forms on the task page)."""
    parse_uuid(task_id, "task")
    try:
        message = perform(request.form.get("action", ""), [task_id])
    except AkteError as error:
        flash(error.message, "error")
    else:
        flash(message, "info")
    return redirect(url_for("tasks.show", task_id=task_id))
