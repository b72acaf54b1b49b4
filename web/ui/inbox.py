"""The caseworker inbox: views with counts, filters, sorting, saved filters, keyset pages, (bulk) actions.

Actions post to one endpoint; with htmx the page's results are swapped in place, without JavaScript the
browser is redirected back to the same inbox query (post/redirect/get).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as BaseResponse

from accounts import filters as saved_filters
from core.errors import AkteError, ValidationFailed
from engine import taskops
from engine.deploy import procedures
from engine.inbox import COUNT_LIMIT, SORTS, VIEWS, InboxQuery, View, inbox
from web.people import require_identity, task_actor
from web.services import services
from web.ui.dates import optional_date
from web.ui.delegation import chosen_target, delegation_targets

bp = Blueprint("inbox", __name__)
QUERY_KEYS = ("view", "sort", "desc", "procedure", "due_from", "due_to", "priority", "q", "field", "value")


def inbox_query(args: MultiDict[str, str], now: Any) -> InboxQuery:
    """The engine query for the page's parameters; wrong values name the parameter."""
    view: View = next((name for name in VIEWS if name == args.get("view")), "mine")
    priority = args.get("priority", "").strip()
    if priority and not priority.isdecimal():
        raise ValidationFailed(_("Please enter a whole number."), {"priority": _("Please enter a whole number.")})
    field, value = args.get("field", "").strip(), args.get("value", "").strip()
    return InboxQuery(view=view, now=now, sort=args.get("sort", "due") if args.get("sort") in SORTS else "due",
                      descending=args.get("desc") == "1", procedure=args.get("procedure") or None,
                      due_from=optional_date(args, "due_from"), due_to=optional_date(args, "due_to"),
                      priority=int(priority) if priority else None, fields={field: value} if field and value else {},
                      text=args.get("q", "").strip() or None, cursor=args.get("cursor") or None)


def current_query(args: MultiDict[str, str]) -> dict[str, str]:
    return {key: args[key] for key in QUERY_KEYS if args.get(key)}


def _render(args: MultiDict[str, str], message: str | None = None, status: int = 200) -> tuple[str, int]:
    identity = require_identity()
    actor = task_actor(identity)
    svc = services()
    errors: dict[str, str] = {}
    with svc.db.unit_of_work() as uow:
        try:
            page = inbox(uow, actor, inbox_query(args, svc.clock.now()))
        except ValidationFailed as error:
            errors = {str(k): str(v) for k, v in (error.details or {"q": error.message}).items()}
            page = inbox(uow, actor, inbox_query(MultiDict({"view": args.get("view", "mine")}), svc.clock.now()))
            status = 400
        context = {
            "page": page, "args": args, "query": current_query(args), "errors": errors, "message": message,
            "view": args.get("view", "mine") if args.get("view") in VIEWS else "mine", "views": VIEWS,
            "sorts": SORTS, "procedures": procedures(uow), "filters": saved_filters.list_filters(uow, identity.id),
            **delegation_targets(uow, identity), "count_limit": COUNT_LIMIT,
            "now": svc.clock.now(), "sort_link": sort_link, "query_string": urlencode(current_query(args)),
        }
    template = "inbox/_body.html" if request.headers.get("HX-Request") else "inbox/index.html"
    return render_template(template, **context), status


@bp.get("/inbox")
def index() -> tuple[str, int]:
    return _render(request.args)


def perform(action: str, ids: list[str]) -> str:
    """Run `action` on the selected tasks; returns the message for the user."""
    svc = services()
    actor = task_actor()
    form = request.form
    with svc.db.unit_of_work() as uow:
        if action == "claim":
            outcomes = taskops.claim_many(uow, svc.engine, actor, ids)
        elif action == "delegate":
            to_user, to_group = chosen_target(uow)
            outcomes = taskops.delegate_many(uow, svc.engine, actor, ids, to_user=to_user, to_group=to_group,
                                             comment=form.get("comment", ""))
        elif action in ("unclaim", "follow_up", "priority") and len(ids) == 1:
            _single(uow, action, ids[0])
            uow.commit()
            return _("Saved.")
        else:
            raise ValidationFailed(_("Unknown action."))
        uow.commit()
    done = sum(1 for outcome in outcomes if outcome.ok)
    refused = [outcome.error for outcome in outcomes if not outcome.ok]
    message = _("%(done)d of %(total)d task(s) done.", done=done, total=len(outcomes))
    return message + (" " + "; ".join(str(reason) for reason in refused[:5]) if refused else "")


def _single(uow: Any, action: str, task_id: str) -> None:
    svc, actor, form = services(), task_actor(), request.form
    if action == "unclaim":
        taskops.unclaim(uow, svc.engine, actor, task_id)
    elif action == "follow_up":
        taskops.set_follow_up(uow, svc.engine, actor, task_id, optional_date(form, "follow_up"))
    else:
        raw = form.get("priority", "")
        if not raw.isdecimal():
            raise ValidationFailed(_("Please enter a whole number."), {"priority": _("Please enter a whole number.")})
        taskops.set_priority(uow, svc.engine, actor, task_id, int(raw))


@bp.post("/inbox/actions")
def actions() -> BaseResponse | tuple[str, int]:
    ids = request.form.getlist("task")
    back = MultiDict(_query_from(request.form.get("query", "")))
    if not ids:
        message, status = _("Select at least one task."), 400
    else:
        try:
            message, status = perform(request.form.get("action", ""), ids), 200
        except AkteError as error:
            message, status = error.message, 400 if isinstance(error, ValidationFailed) else 409
    if request.headers.get("HX-Request"):
        return _render(back, message, status)
    flash(message, "info" if status == 200 else "error")
    return redirect(url_for("inbox.index") + "?" + urlencode(current_query(back)))


def _query_from(raw: str) -> dict[str, str]:
    return {key: value for key, value in parse_qsl(raw[:2000]) if key in QUERY_KEYS}


@bp.post("/inbox/filters")
def save_filter() -> BaseResponse:
    identity = require_identity()
    svc = services()
    with svc.db.unit_of_work() as uow:
        saved_filters.save_filter(uow, svc.clock, identity.id, request.form.get("name", ""),
                                  _query_from(request.form.get("query", "")))
        uow.commit()
    flash(_("Filter saved."), "info")
    return redirect(url_for("inbox.index") + "?" + request.form.get("query", "")[:2000])


@bp.post("/inbox/filters/<int:filter_id>/delete")
def delete_filter(filter_id: int) -> BaseResponse:
    identity = require_identity()
    with services().db.unit_of_work() as uow:
        saved_filters.delete_filter(uow, identity.id, filter_id)
        uow.commit()
    flash(_("Filter deleted."), "info")
    return redirect(url_for("inbox.index"))


def sort_link(query: dict[str, str], column: str) -> str:
    """The inbox URL sorted by `column` (ascending first; again reverses)."""
    same = query.get("sort", "due") == column and query.get("desc") != "1"
    params: dict[str, Any] = {**query, "sort": column, "desc": "1" if same else "0"}
    return url_for("inbox.index", **params)
