"""Sign-in, sessions, CSRF, API tokens and role checks."""

from __future__ import annotations

import subprocess

from sqlalchemy import select

from accounts.models import UserAccount
from core.bootstrap import Services
from tests.helpers import AKTE, akte_env
from tests.web_helpers import PASSWORD, api_client, csrf_from, ensure_user, page_client
from web.app import create_app


def test_the_api_needs_a_token_or_a_session(services: Services) -> None:
    client = create_app(services=services).test_client()
    anonymous = client.get("/api/v1/files")
    assert anonymous.status_code == 401 and anonymous.json["error"]["code"] == "not_signed_in"
    assert client.get("/api/v1/files", headers={"Authorization": "Bearer akte_forged"}).status_code == 401
    assert client.post("/api/v1/files", json={}).status_code == 401  # 401 before any CSRF or body check
    with api_client(services) as authorised:
        assert authorised.get("/api/v1/files").status_code == 200


def test_roles_are_checked_on_every_endpoint(services: Services) -> None:
    with api_client(services, "clerk", roles=("caseworker",), units=("unit-a",)) as clerk:
        deploy = clerk.post("/api/v1/deployments", data={})
        assert deploy.status_code == 403 and "designer" in deploy.json["error"]["message"]
        assert clerk.get("/api/v1/incidents").status_code == 403
        assert clerk.get("/api/v1/tasks?assignee=someone-else").status_code == 403
        assert clerk.get("/api/v1/tasks").status_code == 200  # their own
    with api_client(services, "boss", roles=("supervisor",)) as boss:
        assert boss.get("/api/v1/incidents").status_code == 200


def test_sign_in_page_is_german_by_default_and_english_on_request(services: Services) -> None:
    client = create_app(services=services).test_client()
    german = client.get("/sign-in").get_data(as_text=True)
    assert '<html lang="de">' in german and "Anmelden" in german and "Passwort" in german
    english = client.get("/sign-in", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in english and "Sign in" in english
    switched = client.post("/language", data={"language": "en", "csrf_token": csrf_from(german), "next": "/sign-in"})
    assert switched.status_code == 302
    assert "Password" in client.get("/sign-in").get_data(as_text=True)


def test_wrong_passwords_get_one_generic_error_and_are_rate_limited(services: Services) -> None:
    ensure_user(services, "erika", units=("unit-a",))
    client = create_app(services=services).test_client()
    token = csrf_from(client.get("/sign-in").get_data(as_text=True))
    unknown = client.post("/sign-in", data={"login": "nobody", "password": PASSWORD, "csrf_token": token})
    wrong = client.post("/sign-in", data={"login": "erika", "password": "wrong password", "csrf_token": token})
    assert unknown.status_code == wrong.status_code == 401
    message = "Anmeldename oder Passwort ist falsch."
    assert message in unknown.get_data(as_text=True) and message in wrong.get_data(as_text=True)
    for _ in range(4):
        client.post("/sign-in", data={"login": "erika", "password": "wrong again!", "csrf_token": token})
    blocked = client.post("/sign-in", data={"login": "erika", "password": PASSWORD, "csrf_token": token})
    assert blocked.status_code == 429  # even the right password, until the window has passed
    assert "/inbox" not in blocked.headers.get("Location", "")


def test_sign_in_sets_a_hardened_session_and_sign_out_ends_it(services: Services) -> None:
    ensure_user(services, "erika", units=("unit-a",))
    client = create_app(services=services).test_client()
    token = csrf_from(client.get("/sign-in").get_data(as_text=True))
    assert client.post("/sign-in", data={"login": "erika", "password": PASSWORD}).status_code == 400  # no CSRF
    signed_in = client.post("/sign-in?next=//evil.example/x", data={"login": "Erika", "password": PASSWORD,
                                                                     "csrf_token": token})
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/inbox"  # no open redirect
    cookie = signed_in.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie
    with services.db.unit_of_work() as uow:
        stored = uow.session.scalars(select(UserAccount.password_hash).where(UserAccount.login == "erika")).one()
    assert stored is not None and stored.startswith("$argon2id$") and PASSWORD not in stored
    page = client.get("/substitutes")
    assert page.status_code == 200
    assert client.post("/sign-out", data={"csrf_token": csrf_from(page.get_data(as_text=True))}).status_code == 302
    after = client.get("/substitutes")
    assert after.status_code == 302 and after.headers["Location"].startswith("/sign-in?next=")


def test_the_api_with_a_session_needs_the_csrf_header(services: Services) -> None:
    client = page_client(services, "erika", roles=("caseworker",), units=("unit-a",))
    html = client.get("/substitutes").get_data(as_text=True)
    body = {"name": "no-such-message"}
    assert client.post("/api/v1/messages", json=body).json["error"]["code"] == "csrf_failed"
    sent = client.post("/api/v1/messages", json=body, headers={"X-CSRFToken": csrf_from(html)})
    assert sent.status_code in (200, 202, 404), sent.json


def test_cli_creates_users_and_tokens(services: Services) -> None:
    env = akte_env(services)

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([*AKTE, *args], input=stdin, capture_output=True, text=True, env=env, timeout=120)

    created = run("user", "create", "mia", "--role", "caseworker", "--unit", "32", "--group", "fuehrerschein",
                  "--password-stdin", stdin="a long enough password\n")
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip().isdigit()
    again = run("user", "create", "mia")
    assert again.returncode == 3 and again.stderr.strip() == "akte: a user with login 'mia' already exists"
    bad_role = run("user", "create", "max", "--role", "chef")
    assert bad_role.returncode == 2 and "unknown role 'chef'" in bad_role.stderr and "Traceback" not in bad_role.stderr
    short = run("user", "create", "max", "--password-stdin", stdin="short\n")
    assert short.returncode == 2 and "at least 10 characters" in short.stderr
    token = run("user", "token", "mia").stdout.strip()
    assert token.startswith("akte_")
    client = create_app(services=services).test_client()
    assert client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert run("user", "token", "mia", "--revoke").returncode == 0
    assert client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    as_user = run("search", "antrag", "--user", "mia", "--json")
    assert as_user.returncode == 0 and '"total": 0' in as_user.stdout
    assert run("search", "antrag", "--user", "nobody").returncode == 3
    listed = run("user", "list", "--json")
    assert '"fuehrerschein"' in listed.stdout and "argon2" not in listed.stdout
