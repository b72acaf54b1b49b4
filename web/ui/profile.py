"""A user's own settings: substitutes (Vertretung) for a period of absence."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from accounts import substitutions
from accounts.users import list_users
from core.errors import ValidationFailed
from web.people import require_identity
from web.services import services

bp = Blueprint("profile", __name__)


def _page(errors: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    identity = require_identity()
    svc = services()
    with svc.db.unit_of_work() as uow:
        current = substitutions.substitutions_of(uow, identity.login, svc.clock.now().date())
        colleagues = [user for user in list_users(uow) if user.login != identity.login]
    return render_template("profile/substitutions.html", substitutions=current, colleagues=colleagues,
                           errors=errors or {}, form=request.form), status


@bp.get("/substitutes")
def substitutions_page() -> tuple[str, int]:
    return _page()


def _day(name: str) -> date:
    try:
        return date.fromisoformat(request.form.get(name, ""))
    except ValueError:
        raise ValidationFailed(_("Please enter a date."), {name: _("Please enter a date.")}) from None


@bp.post("/substitutes")
def add() -> Response | tuple[str, int]:
    identity = require_identity()
    svc = services()
    try:
        starts_on, ends_on = _day("starts_on"), _day("ends_on")
        with svc.db.unit_of_work() as uow:
            substitutions.add_substitution(uow, svc.clock, identity.login, request.form.get("substitute", ""),
                                           starts_on, ends_on)
            uow.commit()
    except ValidationFailed as error:
        return _page(error.details or {"substitute": error.message}, 400)
    flash(_("Substitute saved."), "info")
    return redirect(url_for("profile.substitutions_page"))


@bp.post("/substitutes/<int:substitution_id>/delete")
def remove(substitution_id: int) -> Response:
    identity = require_identity()
    with services().db.unit_of_work() as uow:
        substitutions.remove_substitution(uow, identity.login, substitution_id)
        uow.commit()
    flash(_("Substitution ended."), "info")
    return redirect(url_for("profile.substitutions_page"))
