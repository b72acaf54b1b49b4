"""Bearer tokens for the JSON API: random, shown once, stored as SHA-256 (they carry 256 bits of entropy,
so a fast hash is enough and a lookup is one indexed query)."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select

from accounts.identity import Identity
from accounts.models import ApiToken, UserAccount
from accounts.users import identity_of, user_row
from core.clock import Clock
from core.db import UnitOfWork
from core.errors import ValidationFailed

PREFIX = "akte_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(uow: UnitOfWork, clock: Clock, login: str, label: str = "api") -> str:
    """A new token for `login`; the caller shows it once, akte keeps only its hash."""
    label = label.strip()
    if not label or len(label) > 100:
        raise ValidationFailed("the token label must have 1-100 characters", {"label": "1-100 characters"})
    user = user_row(uow, login)
    token = PREFIX + secrets.token_urlsafe(32)
    uow.session.add(ApiToken(user_id=user.id, token_hash=_digest(token), label=label, created_at=clock.now()))
    uow.session.flush()
    return token


def identity_for_token(uow: UnitOfWork, clock: Clock, token: str) -> Identity | None:
    """The active user a live token belongs to, or None (unknown, revoked, or user deactivated)."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    row = uow.session.execute(
        select(ApiToken, UserAccount).join(UserAccount, UserAccount.id == ApiToken.user_id)
        .where(ApiToken.token_hash == _digest(token), ApiToken.revoked_at.is_(None), UserAccount.active.is_(True))
    ).one_or_none()
    if row is None:
        return None
    api_token, user = row
    api_token.last_used_at = clock.now()
    return identity_of(uow, user)


def revoke_tokens(uow: UnitOfWork, clock: Clock, login: str) -> int:
    """Revoke every live token of `login`; returns how many."""
    user = user_row(uow, login)
    live = list(uow.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id,
                                                           ApiToken.revoked_at.is_(None))))
    for api_token in live:
        api_token.revoked_at = clock.now()
    return len(live)
