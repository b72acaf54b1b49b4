"""Sign-in with a password, rate-limited per login and per client address.

Failures are rows in the database (web processes are stateless), counted over a sliding window. The error
is the same for an unknown login, a wrong password and a deactivated account.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select

from accounts.identity import Identity
from accounts.models import SignInFailure, UserAccount
from accounts.passwords import hash_password, needs_rehash, verify_password
from accounts.users import identity_of
from core.clock import Clock
from core.db import UnitOfWork
from core.errors import AkteError

WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_LOGIN = 5
MAX_FAILURES_PER_REMOTE = 30


class SignInRefused(AkteError):
    code = "sign_in_refused"


class TooManyAttempts(AkteError):
    code = "too_many_attempts"


def authenticate(uow: UnitOfWork, clock: Clock, login: str, password: str, remote: str) -> Identity:
    """The user when login and password match; else SignInRefused (generic) or TooManyAttempts.

    The caller commits in both cases: a failure must be recorded even though sign-in is refused.
    """
    now = clock.now()
    login = login.strip().lower()[:64]
    remote = remote[:64]
    since = now - WINDOW
    uow.session.execute(delete(SignInFailure).where(SignInFailure.at < now - 2 * WINDOW))
    by_login = uow.session.scalar(select(func.count()).where(SignInFailure.login == login, SignInFailure.at >= since))
    by_remote = uow.session.scalar(select(func.count()).where(SignInFailure.remote == remote,
                                                              SignInFailure.at >= since))
    if (by_login or 0) >= MAX_FAILURES_PER_LOGIN or (by_remote or 0) >= MAX_FAILURES_PER_REMOTE:
        raise TooManyAttempts("too many failed sign-ins; try again in 15 minutes")
    user = uow.session.scalars(select(UserAccount).where(UserAccount.login == login)).one_or_none()
    stored = user.password_hash if user is not None else None
    if not verify_password(stored, password) or user is None or not user.active:
        uow.session.add(SignInFailure(login=login, remote=remote, at=now))
        raise SignInRefused("login or password is wrong")
    if stored and needs_rehash(stored):
        user.password_hash = hash_password(password)
    uow.session.execute(delete(SignInFailure).where(SignInFailure.login == login))
    return identity_of(uow, user)
