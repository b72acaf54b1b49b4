"""Vertretung: a user names substitutes for a period; during it they work on the absent user's tasks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import aliased

from accounts.models import Substitution, UserAccount
from accounts.users import user_row
from core.clock import Clock
from core.db import UnitOfWork
from core.errors import NotFound, ValidationFailed

MAX_PERIOD = timedelta(days=366)


@dataclass(frozen=True)
class SubstitutionView:
    id: int
    absent: str
    substitute: str
    starts_on: str
    ends_on: str


def add_substitution(
    uow: UnitOfWork, clock: Clock, absent: str, substitute: str, starts_on: date, ends_on: date
) -> SubstitutionView:
    """`substitute` stands in for `absent` from `starts_on` to `ends_on` (inclusive, at most a year)."""
    if absent == substitute:
        raise ValidationFailed("a user cannot substitute for themselves", {"substitute": "choose someone else"})
    if ends_on < starts_on:
        raise ValidationFailed("the period ends before it starts", {"ends_on": "on or after the start"})
    if ends_on - starts_on > MAX_PERIOD:
        raise ValidationFailed("a substitution lasts at most a year", {"ends_on": "at most a year after the start"})
    if ends_on < clock.now().date():
        raise ValidationFailed("the period is already over", {"ends_on": "today or later"})
    absent_user, substitute_user = user_row(uow, absent), user_row(uow, substitute)
    if not substitute_user.active:
        raise ValidationFailed(f"user {substitute!r} is deactivated", {"substitute": "deactivated"})
    row = Substitution(absent_id=absent_user.id, substitute_id=substitute_user.id, starts_on=starts_on,
                       ends_on=ends_on, created_at=clock.now())
    uow.session.add(row)
    uow.session.flush()
    return SubstitutionView(row.id, absent, substitute, starts_on.isoformat(), ends_on.isoformat())


def remove_substitution(uow: UnitOfWork, login: str, substitution_id: int) -> None:
    """The absent user (or the substitute) ends a substitution."""
    user = user_row(uow, login)
    row = uow.session.get(Substitution, substitution_id)
    if row is None or user.id not in (row.absent_id, row.substitute_id):
        raise NotFound(f"substitution {substitution_id} not found")
    uow.session.delete(row)


def substitutions_of(uow: UnitOfWork, login: str, today: date) -> list[SubstitutionView]:
    """Current and future substitutions where `login` is absent or substitute."""
    user = user_row(uow, login)
    absent, substitute = aliased(UserAccount), aliased(UserAccount)
    rows = uow.session.execute(
        select(Substitution, absent.login, substitute.login)
        .join(absent, absent.id == Substitution.absent_id).join(substitute, substitute.id == Substitution.substitute_id)
        .where((Substitution.absent_id == user.id) | (Substitution.substitute_id == user.id),
               Substitution.ends_on >= today)
        .order_by(Substitution.starts_on, Substitution.id)
    ).all()
    return [SubstitutionView(row.id, absent_login, substitute_login, row.starts_on.isoformat(),
                             row.ends_on.isoformat()) for row, absent_login, substitute_login in rows]


def absent_users_for(uow: UnitOfWork, substitute_id: int, today: date) -> frozenset[str]:
    """Logins of the users `substitute_id` stands in for today."""
    query = (select(UserAccount.login).join(Substitution, Substitution.absent_id == UserAccount.id)
             .where(Substitution.substitute_id == substitute_id, Substitution.starts_on <= today,
                    Substitution.ends_on >= today))
    return frozenset(uow.session.scalars(query))
