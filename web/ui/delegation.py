"""Whom a caseworker can hand a task to: colleagues of their groups, and the groups people belong to."""

from __future__ import annotations

import time
from typing import Any

from flask import request
from flask_babel import gettext as _

from accounts.identity import Identity
from accounts.users import colleagues, known_groups, user_exists
from core.db import UnitOfWork
from core.errors import ValidationFailed

MAX_COLLEAGUES = 300
GROUPS_TTL_SECONDS = 60.0
_groups_cache: dict[str, tuple[float, list[str]]] = {}  # database URL -> (read at, groups)


def _all_groups(uow: UnitOfWork) -> list[str]:
    """Every group someone belongs to; read at most once a minute per process and database (rarely changes)."""
    key = str(uow.session.get_bind().engine.url)
    read_at, groups = _groups_cache.get(key, (float("-inf"), []))
    if time.monotonic() - read_at > GROUPS_TTL_SECONDS:
        groups = list(known_groups(uow))
        _groups_cache[key] = (time.monotonic(), groups)
    return groups


def delegation_targets(uow: UnitOfWork, identity: Identity) -> dict[str, Any]:
    """Template context: `users` ((login, name) of colleagues sharing a group, not oneself) and `groups`."""
    found = colleagues(uow, identity.groups, limit=MAX_COLLEAGUES + 1)
    return {"users": [(login, name) for login, name in found if login != identity.login][:MAX_COLLEAGUES],
            "groups": _all_groups(uow)}


def chosen_target(uow: UnitOfWork) -> tuple[str | None, str | None]:
    """The form's `to` ("user:LOGIN" or "group:CODE") as (user, group); an unknown user names the field."""
    kind, _sep, name = request.form.get("to", "").partition(":")
    if kind == "user" and name:
        if not user_exists(uow, name):
            raise ValidationFailed(_("There is no active user %(login)s.", login=name), {"to": "unknown user"})
        return name, None
    if kind == "group" and name:
        return None, name
    raise ValidationFailed(_("Choose a colleague or a group."), {"to": _("Choose a colleague or a group.")})
