"""Who a signed-in user is: the read model the web layer keeps per request."""

from __future__ import annotations

from dataclasses import dataclass

from records.access import Confidentiality, Principal

ROLES = ("caseworker", "designer", "supervisor", "admin")


@dataclass(frozen=True)
class Identity:
    id: int
    login: str
    display_name: str
    email: str | None
    roles: frozenset[str]
    units: frozenset[str]
    groups: frozenset[str]
    clearance: Confidentiality
    locale: str
    active: bool = True

    def has_role(self, *roles: str) -> bool:
        """True for any of `roles`; administrators hold every role."""
        return "admin" in self.roles or any(role in self.roles for role in roles)

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    def principal(self) -> Principal:
        """The records-level principal (what files this user may see)."""
        return Principal(name=self.login, units=self.units, clearance=self.clearance, is_admin=self.is_admin)
