"""Who is signed in: Flask-Login sessions for people, bearer tokens for the JSON API.

Every request sees one `Identity` (or none). Routes ask for it with `require_identity()` or the
`requires_role(...)` decorator; nothing else in `web` reads sessions or headers for authentication.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from flask import Flask, g, request
from flask_login import AnonymousUserMixin, LoginManager, UserMixin, current_user

from accounts.identity import Identity
from accounts.substitutions import absent_users_for
from accounts.tokens import identity_for_token
from accounts.users import get_user_by_id
from core.errors import AkteError, Forbidden
from engine.actors import TaskActor
from web.services import services

P = ParamSpec("P")
R = TypeVar("R")


class NotSignedIn(AkteError):
    code = "not_signed_in"


class SessionUser(UserMixin):
    """Flask-Login's view of an identity."""

    def __init__(self, identity: Identity) -> None:
        self.identity = identity

    def get_id(self) -> str:
        return str(self.identity.id)


def init_login(app: Flask) -> None:
    manager = LoginManager(app)
    manager.login_view = "auth.sign_in"
    manager.session_protection = "basic"
    manager.anonymous_user = AnonymousUserMixin

    @manager.user_loader
    def _load(user_id: str) -> SessionUser | None:
        if not user_id.isdecimal():
            return None
        with services().db.unit_of_work() as uow:
            identity = get_user_by_id(uow, int(user_id))
        return SessionUser(identity) if identity is not None else None

    @manager.request_loader
    def _from_token(req: Any) -> SessionUser | None:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        svc = services()
        with svc.db.unit_of_work() as uow:
            identity = identity_for_token(uow, svc.clock, token.strip())
            uow.commit()  # last_used_at
        if identity is not None:
            g.akte_token_auth = True
        return SessionUser(identity) if identity is not None else None


def by_token() -> bool:
    """True when this request authenticated with a bearer token (no session cookie, so no CSRF token)."""
    current_identity()  # Flask-Login loads the user lazily; the token loader sets the flag
    return bool(g.get("akte_token_auth"))


def current_identity() -> Identity | None:
    user = current_user
    return user.identity if isinstance(user, SessionUser) else None


def require_identity() -> Identity:
    identity = current_identity()
    if identity is None:
        raise NotSignedIn("sign in or send an API token (Authorization: Bearer …)")
    return identity


def requires_role(*roles: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Route decorator: the signed-in user must hold one of `roles` (admins hold all)."""

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def checked(*args: P.args, **kwargs: P.kwargs) -> R:
            identity = require_identity()
            if not identity.has_role(*roles):
                raise Forbidden(f"this needs the role {' or '.join(roles)}")
            return view(*args, **kwargs)

        return checked

    return decorate


def task_actor(identity: Identity | None = None) -> TaskActor:
    """The engine's view of the user: login, groups, and whom they stand in for today."""
    identity = identity or require_identity()
    cached = g.get("akte_task_actor")
    if cached is not None and cached.name == identity.login:
        return cached
    svc = services()
    with svc.db.unit_of_work() as uow:
        absent = absent_users_for(uow, identity.id, svc.clock.now().date())
    actor = TaskActor(name=identity.login, groups=identity.groups, substitutes_for=absent,
                      is_admin=identity.is_admin)
    g.akte_task_actor = actor
    return actor
