"""Designer pages: migrate running instances of a process from one version to another (routes on `designer`).

GET shows the dry run for `?from=N&to=M` with the mapping of renamed activities (inputs `map.<old id>`,
pre-filled with the suggestions until the form is sent); POST moves the selected instances (`instance`,
with `version.<id>` as the dry run saw them) and shows the result above a fresh dry run.
"""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from core.errors import NotFound, ValidationFailed
from engine.deploy import list_definitions
from engine.migration import (
    MigrationPlan,
    MigrationResult,
    ReasonView,
    migrate_instances,
    plan_migration,
)
from engine.views import DefinitionView
from web.people import require_identity, requires_role
from web.services import services
from web.ui.designer import bp

MAP_PREFIX = "map."
VERSION_PREFIX = "version."


def reason_text(reason: ReasonView, version: int, names: dict[str, str]) -> str:
    """A refusal in the user's language (the engine's English text for codes this page does not know)."""
    def label(element: str | None) -> str:
        name = names.get(element or "")
        return f"{element} ({name})" if name else str(element or "")

    element, other = label(reason.element), label(reason.other)
    texts = {
        "missing": _("its active task %(element)s does not exist in version %(version)s",
                     element=element, version=version),
        "missing_event": _("it waits at event %(element)s, which does not exist in version %(version)s",
                           element=element, version=version),
        "type_changed": _("%(element)s is a %(other)s in version %(version)s: the task type changed",
                          element=element, other=reason.other or "", version=version),
        "event_changed": _("%(element)s waits for another kind of timer or another message in version %(version)s",
                           element=element, version=version),
        "detached": _("boundary event %(element)s is no longer attached to %(other)s in version %(version)s",
                      element=element, other=other, version=version),
        "subprocess_changed": _("%(element)s runs inside the subprocess or call activity %(other)s, which changed "
                                "in version %(version)s", element=element, other=other, version=version),
        "failed": _("%(element)s failed; resolve its incident first", element=element),
        "incident": _("it has an open incident at %(element)s; resolve it first", element=element),
        "not_rebound": _("its state could not be re-bound to version %(version)s: %(other)s",
                         version=version, other=reason.other or ""),
    }
    text = texts.get(reason.code, reason.message)
    if reason.code in ("missing", "missing_event") and reason.other:
        text += " " + _("(renamed to %(other)s? add it to the mapping)", other=other)
    return text


def _versions(key: str) -> list[DefinitionView]:
    with services().db.unit_of_work() as uow:
        versions = list_definitions(uow, key=key)
    if not versions:
        raise NotFound(f"process {key!r} is not deployed")
    return versions


def _version_arg(values: MultiDict[str, str], name: str, default: int) -> int:
    raw = values.get(name, "")
    return int(raw) if raw.isdecimal() else default


def _mapping(values: MultiDict[str, str]) -> dict[str, str] | None:
    """The mapping the form sent (old id -> new id, empty = no rename), or None before it was sent."""
    sent = {name[len(MAP_PREFIX):]: value.strip() for name, value in values.items() if name.startswith(MAP_PREFIX)}
    return sent if sent else None


def _render(key: str, values: MultiDict[str, str], result: MigrationResult | None = None) -> str:
    versions = _versions(key)
    numbers = [definition.version for definition in versions]
    target = _version_arg(values, "to", numbers[-1])
    source = _version_arg(values, "from", numbers[-2] if len(numbers) > 1 else numbers[-1])
    # a mapping sent for another pair of versions does not apply to this one: start from the suggestions
    mapping = _mapping(values) if values.get("pair", f"{source}-{target}") == f"{source}-{target}" else None
    plan: MigrationPlan | None = None
    errors: dict[str, str] = {}
    if source in numbers and target in numbers and source != target:
        try:
            with services().db.unit_of_work() as uow:
                plan = plan_migration(uow, services().engine, key, source, target, mapping)
        except ValidationFailed as error:
            errors = {str(field): str(message) for field, message in (error.details or {}).items()}
            if not errors:
                errors = {"": error.message}
    context: dict[str, Any] = {
        "key": key, "name": versions[-1].name, "versions": versions, "source": source, "target": target,
        "plan": plan, "errors": errors, "result": result, "sent_mapping": mapping or {},
    }
    if plan is not None:
        names = {e.element_id: e.name for e in [*plan.removed, *plan.new_elements]}
        for instance in plan.instances:
            for activity in instance.activities:
                names.setdefault(activity.element_id, activity.name)
        context["names"] = names
        context["reasons"] = {instance.instance_id: [reason_text(r, target, names) for r in instance.reasons]
                              for instance in plan.instances}
    return render_template("designer/migration.html", **context)


@bp.get("/processes/<key>/migrate")
@requires_role("designer")
def migration(key: str) -> str:
    return _render(key, request.args)


@bp.post("/processes/<key>/migrate")
@requires_role("designer")
def migrate(key: str) -> str:
    identity = require_identity()
    form = request.form
    numbers = [definition.version for definition in _versions(key)]
    source = _version_arg(request.args, "from", _version_arg(form, "from", 0))
    target = _version_arg(request.args, "to", _version_arg(form, "to", 0))
    if source not in numbers or target not in numbers:
        raise ValidationFailed(_("Choose a current and a target version."), {"from": "required", "to": "required"})
    chosen = form.getlist("instance")
    if not chosen:
        raise ValidationFailed(_("Select the instances to migrate."), {"instance": "required"})
    expected = {name[len(VERSION_PREFIX):]: int(value) for name, value in form.items()
                if name.startswith(VERSION_PREFIX) and value.isdecimal()}
    svc = services()
    with svc.db.unit_of_work() as uow:
        result = migrate_instances(uow, svc.engine, key, source, target, chosen, _mapping(form) or {},
                                   identity.login, expected_versions=expected)
        uow.commit()
    values: MultiDict[str, str] = MultiDict({"from": str(source), "to": str(target)})
    for name, value in form.items():
        if name.startswith(MAP_PREFIX):
            values[name] = value
    return _render(key, values, result)
