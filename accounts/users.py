"""User accounts: create, read, change password, list."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from accounts.identity import ROLES, Identity
from accounts.models import Membership, UserAccount
from accounts.passwords import hash_password, password_problem
from core.clock import Clock
from core.db import UnitOfWork
from core.errors import Conflict, NotFound, ValidationFailed
from records.access import Confidentiality

LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
LOCALES = ("de", "en")


@dataclass(frozen=True)
class NewUser:
    login: str
    display_name: str = ""
    roles: Iterable[str] = ("caseworker",)
    units: Iterable[str] = ()
    groups: Iterable[str] = ()
    clearance: str = "internal"
    email: str | None = None
    password: str | None = None
    locale: str = "de"


def _codes(values: Iterable[str], what: str) -> list[str]:
    found = sorted({value.strip() for value in values if value.strip()})
    for value in found:
        if not CODE.match(value):
            raise ValidationFailed(f"{what} {value!r} is not a valid code (letters, digits, . _ : -; at most 64)",
                                   {what: "invalid code"})
    return found


def _validated(new: NewUser) -> tuple[list[str], list[str], list[str], Confidentiality]:
    if not LOGIN.match(new.login):
        raise ValidationFailed(
            f"login {new.login!r} must be 2-64 lower-case letters, digits, '.', '_' or '-'", {"login": "invalid"})
    roles = _codes(new.roles, "role")
    unknown = [role for role in roles if role not in ROLES]
    if unknown:
        raise ValidationFailed(f"unknown role {unknown[0]!r}; roles are {', '.join(ROLES)}", {"role": "unknown"})
    if not roles:
        raise ValidationFailed("a user needs at least one role", {"role": "required"})
    if new.locale not in LOCALES:
        raise ValidationFailed(f"locale must be one of {', '.join(LOCALES)}", {"locale": "unknown"})
    if new.password is not None and (problem := password_problem(new.password)):
        raise ValidationFailed(problem, {"password": problem})
    if len(new.display_name) > 200 or "\x00" in new.display_name:
        raise ValidationFailed("the display name is too long", {"display_name": "at most 200 characters"})
    return roles, _codes(new.units, "unit"), _codes(new.groups, "group"), Confidentiality.parse(new.clearance,
                                                                                               "clearance")


def create_user(uow: UnitOfWork, clock: Clock, new: NewUser) -> Identity:
    """Create a user; a taken login is a Conflict; nothing is written when any value is wrong."""
    roles, units, groups, clearance = _validated(new)
    now = clock.now()
    user = UserAccount(login=new.login, display_name=new.display_name.strip() or new.login, email=new.email,
                       password_hash=hash_password(new.password) if new.password else None,
                       clearance=int(clearance), active=True, locale=new.locale, created_at=now,
                       password_changed_at=now if new.password else None)
    try:
        with uow.session.begin_nested():
            uow.session.add(user)
            uow.session.flush()
    except IntegrityError:
        raise Conflict(f"a user with login {new.login!r} already exists") from None
    for kind, codes in (("role", roles), ("unit", units), ("group", groups)):
        uow.session.add_all(Membership(user_id=user.id, kind=kind, code=code) for code in codes)
    uow.session.flush()
    return identity_of(uow, user)


def identity_of(uow: UnitOfWork, user: UserAccount) -> Identity:
    return _identities(uow, [user])[0]


def _identities(uow: UnitOfWork, users: list[UserAccount]) -> list[Identity]:
    """Read models for `users` with their memberships, in one query."""
    by_user: dict[int, dict[str, set[str]]] = {user.id: {"role": set(), "unit": set(), "group": set()}
                                               for user in users}
    if users:
        rows = uow.session.execute(select(Membership.user_id, Membership.kind, Membership.code)
                                   .where(Membership.user_id.in_(list(by_user)))).all()
        for user_id, kind, code in rows:
            by_user[user_id].setdefault(kind, set()).add(code)
    return [Identity(id=user.id, login=user.login, display_name=user.display_name, email=user.email,
                     roles=frozenset(by_user[user.id]["role"]), units=frozenset(by_user[user.id]["unit"]),
                     groups=frozenset(by_user[user.id]["group"]), clearance=Confidentiality(user.clearance),
                     locale=user.locale, active=user.active) for user in users]


def user_row(uow: UnitOfWork, login: str) -> UserAccount:
    found = uow.session.scalars(select(UserAccount).where(UserAccount.login == login)).one_or_none()
    if found is None:
        raise NotFound(f"no user with login {login!r}")
    return found


def get_user(uow: UnitOfWork, login: str) -> Identity:
    return identity_of(uow, user_row(uow, login))


def get_user_by_id(uow: UnitOfWork, user_id: int) -> Identity | None:
    user = uow.session.get(UserAccount, user_id)
    return identity_of(uow, user) if user is not None and user.active else None


def set_password(uow: UnitOfWork, clock: Clock, login: str, password: str) -> None:
    if problem := password_problem(password):
        raise ValidationFailed(problem, {"password": problem})
    user = user_row(uow, login)
    user.password_hash = hash_password(password)
    user.password_changed_at = clock.now()


def set_locale(uow: UnitOfWork, user_id: int, locale: str) -> None:
    if locale not in LOCALES:
        raise ValidationFailed(f"locale must be one of {', '.join(LOCALES)}", {"locale": "unknown"})
    user = uow.session.get(UserAccount, user_id)
    if user is None:
        raise NotFound(f"no user with id {user_id}")
    user.locale = locale


def list_users(uow: UnitOfWork, *, groups: Iterable[str] | None = None, limit: int = 5000) -> list[Identity]:
    """Active users, by login; with `groups`, only members of one of them (colleagues to delegate to)."""
    query = select(UserAccount).where(UserAccount.active.is_(True)).order_by(UserAccount.login)
    if groups is not None:
        query = query.where(UserAccount.id.in_(
            select(Membership.user_id).where(Membership.kind == "group", Membership.code.in_(sorted(groups)))))
    return _identities(uow, list(uow.session.scalars(query.limit(limit))))


def colleagues(uow: UnitOfWork, groups: Iterable[str], *, limit: int) -> list[tuple[str, str]]:
    """(login, display name) of active members of any of `groups`, by login — just what a picker shows."""
    member = (select(Membership.user_id).where(Membership.user_id == UserAccount.id, Membership.kind == "group",
                                               Membership.code.in_(sorted(groups))).exists())
    query = (select(UserAccount.login, UserAccount.display_name)
             .where(UserAccount.active.is_(True), member).order_by(UserAccount.login).limit(limit))
    return [(login, name) for login, name in uow.session.execute(query)]


def user_exists(uow: UnitOfWork, login: str) -> bool:
    return uow.session.scalar(select(UserAccount.id).where(UserAccount.login == login,
                                                           UserAccount.active.is_(True))) is not None


def known_groups(uow: UnitOfWork) -> list[str]:
    return list(uow.session.scalars(select(Membership.code).where(Membership.kind == "group").distinct()
                                    .order_by(Membership.code)))
