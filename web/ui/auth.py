"""Sign-in, sign-out and the language switch."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_user, logout_user
from werkzeug.wrappers import Response

from accounts.signin import SignInRefused, TooManyAttempts, authenticate
from accounts.users import set_locale
from web.i18n import LANGUAGES
from web.people import SessionUser, current_identity
from web.services import services

bp = Blueprint("auth", __name__)


def safe_next(target: str | None, default: str = "inbox.index") -> str:
    """Only same-site paths are followed after sign-in (no open redirect)."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for(default)


@bp.get("/")
def home() -> Response:
    return redirect(url_for("inbox.index") if current_identity() else url_for("auth.sign_in"))


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Response | tuple[str, int] | str:
    if request.method == "GET":
        if current_identity() is not None:
            return redirect(safe_next(request.args.get("next")))
        return render_template("auth/sign_in.html", login="", error=None)
    login = request.form.get("login", "")[:64]
    password = request.form.get("password", "")[:1024]
    svc = services()
    with svc.db.unit_of_work() as uow:
        try:
            identity = authenticate(uow, svc.clock, login, password, request.remote_addr or "-")
        except TooManyAttempts:
            uow.commit()
            return render_template("auth/sign_in.html", login=login,
                                   error=_("Too many failed attempts. Please wait 15 minutes.")), 429
        except SignInRefused:
            uow.commit()
            return render_template("auth/sign_in.html", login=login,
                                   error=_("Login or password is wrong.")), 401
        uow.commit()
    session.clear()  # a fresh session on sign-in (no fixation)
    login_user(SessionUser(identity))
    session.permanent = True
    return redirect(safe_next(request.args.get("next")))


@bp.post("/sign-out")
def sign_out() -> Response:
    logout_user()
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.sign_in"))


@bp.post("/language")
def language() -> Response:
    chosen = request.form.get("language", "")
    if chosen in LANGUAGES:
        session["locale"] = chosen
        identity = current_identity()
        if identity is not None:
            svc = services()
            with svc.db.unit_of_work() as uow:
                set_locale(uow, identity.id, chosen)
                uow.commit()
    return redirect(safe_next(request.form.get("next"), "auth.home"))
