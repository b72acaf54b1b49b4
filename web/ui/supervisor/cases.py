"""Supervisor pages: the case list with its filters, a case's detail with history and open tasks, and the task
actions (reassign, change the due date; single or bulk) — routes on the `supervisor` blueprint."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from flask import flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as BaseResponse

from accounts.users import known_groups, list_users
from core.db import UnitOfWork
from core.errors import AkteError, ValidationFailed
from engine.deploy import procedures
from engine.supervision import (
    SUPERVISION_EVENTS,
    SupervisedTask,
    change_due,
    open_incidents,
    open_tasks,
    reassign,
    task_instances,
)
from engine.taskops import TaskOutcome
from engine.views import InstanceView
from web.people import require_identity, requires_role
from web.services import services
from web.ui.cases import case_context
from web.ui.dates import optional_date
from web.ui.delegation import chosen_target
from web.ui.supervisor import bp
from web.ui.supervisor.caselist import STATES, CaseQuery, search_cases, steerable_instances

QUERY_KEYS = ("procedure", "state", "unit", "overdue", "opened_from", "opened_to", "closed_from", "closed_to", "q",
              "sort", "page")
MAX_TARGET_USERS = 500


def case_query(args: MultiDict[str, str]) -> CaseQuery:
    """The list's filters from the query string; a wrong value names its parameter."""
    page = args.get("page", "1").strip() or "1"
    if not (page.isascii() and page.isdecimal()):
        raise ValidationFailed(_("Please enter a whole number."), {"page": _("Please enter a whole number.")})
    state = args.get("state") or None
    if state is not None and state not in STATES:
        raise ValidationFailed(_("Unknown state."), {"state": _("Unknown state.")})
    return CaseQuery(procedure=args.get("procedure") or None, state=state, unit=args.get("unit") or None,
                     overdue=args.get("overdue") == "1", opened_from=optional_date(args, "opened_from"),
                     opened_to=optional_date(args, "opened_to"), closed_from=optional_date(args, "closed_from"),
                     closed_to=optional_date(args, "closed_to"), text=args.get("q", "").strip() or None,
                     sort="opened_asc" if args.get("sort") == "opened_asc" else "opened_desc", page=int(page))


def current_query(args: MultiDict[str, str]) -> dict[str, str]:
    return {key: args[key] for key in QUERY_KEYS if args.get(key)}


def targets(uow: UnitOfWork) -> dict[str, Any]:
    """Whom a supervisor can give tasks to: active people who work on tasks, and the groups people are in."""
    people = [(user.login, user.display_name) for user in list_users(uow, limit=MAX_TARGET_USERS)
              if user.has_role("caseworker")]
    return {"target_users": people, "target_groups": known_groups(uow)}


@dataclass(frozen=True)
class LogEntry:
    """One supervisor action on the case (reassigned, due date changed, retried, cancelled), for the log table."""

    at: datetime
    actor: str | None
    kind: str
    element_id: str | None
    before: str
    after: str
    note: str


def _holder_text(value: Any) -> str:
    if not isinstance(value, dict):
        return ""
    if "due" in value:
        due = value["due"]
        return format_date(datetime.fromisoformat(due).date(), "medium") if isinstance(due, str) else "—"
    if value.get("assignee"):
        return str(value["assignee"])
    return _("Group") + ": " + ", ".join(str(group) for group in value.get("candidate_groups") or [])


def supervision_log(instance: InstanceView | None) -> list[LogEntry]:
    """The supervisor actions in the instance's history, newest first."""
    entries = []
    for event in instance.history if instance else []:
        if event.kind in SUPERVISION_EVENTS:
            payload = event.payload if isinstance(event.payload, dict) else {}
            entries.append(LogEntry(datetime.fromisoformat(event.created_at), event.actor, event.kind,
                                    event.element_id, _holder_text(payload.get("before")),
                                    _holder_text(payload.get("after")),
                                    str(payload.get("comment") or payload.get("reason") or "")))
    return entries[::-1]


def tasks_by_instance(tasks: list[SupervisedTask]) -> dict[str, list[SupervisedTask]]:
    grouped: dict[str, list[SupervisedTask]] = defaultdict(list)
    for task in tasks:
        grouped[task.instance_id].append(task)
    return grouped


@bp.get("/cases")
@requires_role("supervisor")
def cases() -> tuple[str, int]:
    principal = require_identity().principal()
    svc = services()
    now = svc.clock.now()
    errors: dict[str, str] = {}
    status = 200
    with svc.db.unit_of_work() as uow:
        try:
            page = search_cases(uow, principal, case_query(request.args), now)
        except ValidationFailed as error:
            errors = {str(key): str(value) for key, value in (error.details or {"q": error.message}).items()}
            page, status = search_cases(uow, principal, CaseQuery(), now), 400
        instances = [row.process_instance_id for row in page.rows if row.process_instance_id]
        context = {"page": page, "args": request.args, "errors": errors, "states": STATES, "now": now,
                   "procedures": procedures(uow), "tasks": tasks_by_instance(open_tasks(uow, instances)),
                   "query": current_query(request.args), "list_url": list_url, **targets(uow)}
    return render_template("supervisor/cases.html", **context), status


@bp.get("/cases/<case_id>")
@requires_role("supervisor")
def case(case_id: str) -> str:
    principal = require_identity().principal()
    svc = services()
    with svc.db.unit_of_work() as uow:
        context = case_context(uow, principal, case_id)
        instance_id = context["case"].process_instance_id
        instance = context["instance"]
        context.update(
            tasks=open_tasks(uow, [instance_id]) if instance_id else [],
            incidents=open_incidents(uow, within=[instance_id]) if instance_id else [],
            supervision=supervision_log(instance),
            now=svc.clock.now(), **targets(uow))
    return render_template("supervisor/case.html", **context)


def back_to(default: str) -> BaseResponse:
    """Where the form came from (a path on this site), else `default`."""
    target = request.form.get("back", "")
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return redirect(target)
    return redirect(default)


def _versions(ids: list[str]) -> dict[str, int]:
    found = {}
    for task_id in ids:
        raw = request.form.get(f"version-{task_id}", "")
        if raw.isascii() and raw.isdecimal():
            found[task_id] = int(raw)
    return found


def _group_target(uow: UnitOfWork) -> tuple[str | None, str | None]:
    user, group = chosen_target(uow)  # an unknown person is refused here, before the engine is asked
    if group is not None and group not in known_groups(uow):
        raise ValidationFailed(_("Nobody belongs to group %(group)s.", group=group), {"to": "unknown group"})
    return user, group


def perform(action: str, ids: list[str]) -> list[TaskOutcome]:
    identity = require_identity()
    svc = services()
    form = request.form
    with svc.db.unit_of_work() as uow:
        within = steerable_instances(uow, identity.principal(), set(task_instances(uow, ids).values()))
        versions = _versions(ids)
        if action == "reassign":
            to_user, to_group = _group_target(uow)
            outcomes = reassign(uow, svc.engine, identity.login, ids, to_user=to_user, to_group=to_group,
                                comment=form.get("comment", ""), within=within, versions=versions)
        elif action in ("due", "clear_due"):
            due = optional_date(form, "due") if action == "due" else None
            if action == "due" and due is None:
                raise ValidationFailed(_("Please enter a date."), {"due": _("Please enter a date.")})
            outcomes = change_due(uow, svc.engine, identity.login, ids, due, form.get("comment", ""),
                                  within=within, versions=versions)
        else:
            raise ValidationFailed(_("Unknown action."))
        uow.commit()
    return outcomes


@bp.post("/tasks/actions")
@requires_role("supervisor")
def task_actions() -> BaseResponse:
    """Reassign or change the due date of the selected tasks (one or many); each task's outcome is reported."""
    ids = [task_id.strip() for task_id in request.form.getlist("task") if task_id.strip()]
    if not ids:
        flash(_("Select at least one task."), "error")
        return back_to(url_for("supervisor.cases"))
    try:
        outcomes = perform(request.form.get("action", ""), ids)
    except AkteError as error:
        flash(error.message, "error")
        return back_to(url_for("supervisor.cases"))
    done = sum(1 for outcome in outcomes if outcome.ok)
    refused = [str(outcome.error) for outcome in outcomes if not outcome.ok]
    message = _("%(done)d of %(total)d task(s) changed.", done=done, total=len(outcomes))
    flash(message + (" " + "; ".join(refused[:5]) if refused else ""), "info" if not refused else "error")
    return back_to(url_for("supervisor.cases"))


def list_url(query: dict[str, str], **changes: str) -> str:
    """The case list URL with `changes` applied to the current query (an empty value drops the key)."""
    params = {key: value for key, value in {**query, **changes}.items() if value}
    return url_for("supervisor.cases") + ("?" + urlencode(params) if params else "")

