"""Whom a caseworker can hand a task to: colleagues of their groups, and the groups people belong to."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext as _

from accounts.identity import Identity
from accounts.users import known_groups, list_users, user_exists
from core.db import UnitOfWork
from core.errors import ValidationFailed

MAX_COLLEAGUES = 300


def delegation_targets(uow: UnitOfWork, identity: Identity) -> dict[str, Any]:
    """Template context: `users` (colleagues sharing a group, not oneself) and `groups`."""
    colleagues = list_users(uow, groups=identity.groups, limit=MAX_COLLEAGUES + 1)
    return {"users": [user for user in colleagues if user.login != identity.login][:MAX_COLLEAGUES],
            "groups": list(known_groups(uow))}


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
