"""Signed-in clients for the JSON API and the pages (users are created on first use)."""

from __future__ import annotations

from collections.abc import Iterable

from flask.testing import FlaskClient
from sqlalchemy import select

from accounts.models import UserAccount
from accounts.tokens import issue_token
from accounts.users import NewUser, create_user
from core.bootstrap import Services
from web.app import create_app

PASSWORD = "correct horse battery"


def ensure_user(services: Services, login: str, *, roles: Iterable[str] = ("caseworker",), units: Iterable[str] = (),
                groups: Iterable[str] = (), clearance: str = "internal", name: str = "", locale: str = "de") -> None:
    with services.db.unit_of_work() as uow:
        if uow.session.scalars(select(UserAccount.id).where(UserAccount.login == login)).first() is None:
            create_user(uow, services.clock, NewUser(login=login, display_name=name, roles=tuple(roles),
                                                     units=tuple(units), groups=tuple(groups), clearance=clearance,
                                                     password=PASSWORD, locale=locale))
            uow.commit()


def api_client(services: Services, login: str = "api-admin", *, roles: Iterable[str] = ("admin",),
               units: Iterable[str] = (), groups: Iterable[str] = (), clearance: str = "secret") -> FlaskClient:
    """A test client of a fresh app whose requests carry a bearer token of `login`."""
    ensure_user(services, login, roles=roles, units=units, groups=groups, clearance=clearance)
    with services.db.unit_of_work() as uow:
        token = issue_token(uow, services.clock, login, "tests")
        uow.commit()
    client = create_app(services=services).test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def page_client(services: Services, login: str, **user: object) -> FlaskClient:
    """A test client signed in through the sign-in form (session cookie; CSRF tokens are needed for POSTs)."""
    ensure_user(services, login, **user)  # type: ignore[arg-type]
    return signed_in(services, login, PASSWORD)


def signed_in(services: Services, login: str, password: str) -> FlaskClient:
    """A test client of a fresh app, signed in as an existing user through the sign-in form."""
    client = create_app(services=services).test_client()
    page = client.get("/sign-in")
    response = client.post("/sign-in", data={"login": login, "password": password,
                                              "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def csrf_from(html: str) -> str:
    marker = 'name="csrf-token" content="'
    start = html.index(marker) + len(marker)
    return html[start:html.index('"', start)]
