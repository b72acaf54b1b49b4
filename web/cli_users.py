"""`akte user …`: create users, issue API tokens, list users, name substitutes."""

from __future__ import annotations

import json
import sys
from datetime import datetime

import click

from accounts import substitutions, tokens, users
from accounts.identity import ROLES
from core.errors import ValidationFailed
from web.cli_support import services_from_env


@click.group("user")
def user_group() -> None:
    """People who sign in: users, roles, units, groups, API tokens, substitutes."""


def _read_password() -> str:
    line = sys.stdin.readline()
    password = line.rstrip("\r\n")
    if not password:
        raise ValidationFailed("--password-stdin: no password on standard input")
    return password


@user_group.command("create")
@click.argument("login")
@click.option("--name", "display_name", default="", help="Display name (default: the login).")
@click.option("--role", "roles", multiple=True, help=f"Role, repeatable: {', '.join(ROLES)} (default caseworker).")
@click.option("--unit", "units", multiple=True, help="Organisational unit, repeatable (which files they see).")
@click.option("--group", "groups", multiple=True, help="Group, repeatable (BPMN candidate groups).")
@click.option("--clearance", default="internal", show_default=True,
              help="Highest confidentiality the user may see: public, internal, confidential, secret.")
@click.option("--email", default=None)
@click.option("--locale", default="de", show_default=True, help="UI language: de or en.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
def user_create(login: str, display_name: str, roles: tuple[str, ...], units: tuple[str, ...],
                groups: tuple[str, ...], clearance: str, email: str | None, locale: str, password_stdin: bool) -> None:
    """Create user LOGIN; prints its id. Without --password-stdin the user can only use API tokens."""
    password = _read_password() if password_stdin else None
    new = users.NewUser(login=login, display_name=display_name, roles=roles or ("caseworker",), units=units,
                        groups=groups, clearance=clearance, email=email, password=password, locale=locale)
    with services_from_env() as services, services.db.unit_of_work() as uow:
        identity = users.create_user(uow, services.clock, new)
        uow.commit()
    click.echo(identity.id)


@user_group.command("password")
@click.argument("login")
def user_password(login: str) -> None:
    """Set LOGIN's password from the first line of standard input."""
    password = _read_password()
    with services_from_env() as services, services.db.unit_of_work() as uow:
        users.set_password(uow, services.clock, login, password)
        uow.commit()
    click.echo(f"password of {login} changed", err=True)


@user_group.command("token")
@click.argument("login")
@click.option("--label", default="api", show_default=True, help="What the token is for.")
@click.option("--revoke", is_flag=True, help="Revoke all of LOGIN's tokens instead of issuing one.")
def user_token(login: str, label: str, revoke: bool) -> None:
    """Print a new API bearer token for LOGIN (shown once; akte stores only its hash)."""
    with services_from_env() as services, services.db.unit_of_work() as uow:
        if revoke:
            count = tokens.revoke_tokens(uow, services.clock, login)
            uow.commit()
            click.echo(f"{count} token(s) of {login} revoked", err=True)
            return
        token = tokens.issue_token(uow, services.clock, login, label)
        uow.commit()
    click.echo(token)


@user_group.command("list")
@click.option("--json", "as_json", is_flag=True)
def user_list(as_json: bool) -> None:
    """List active users with their roles, units and groups."""
    with services_from_env() as services, services.db.unit_of_work() as uow:
        found = users.list_users(uow)
    if as_json:
        rows = [{"login": u.login, "name": u.display_name, "roles": sorted(u.roles), "units": sorted(u.units),
                 "groups": sorted(u.groups), "clearance": u.clearance.label} for u in found]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for u in found:
        click.echo(f"{u.login}\t{u.display_name}\t{','.join(sorted(u.roles))}\t{','.join(sorted(u.units))}\t"
                   f"{','.join(sorted(u.groups))}")


@user_group.command("substitute")
@click.argument("absent")
@click.argument("substitute")
@click.option("--from", "starts_on", type=click.DateTime(["%Y-%m-%d"]), required=True, help="First day (YYYY-MM-DD).")
@click.option("--to", "ends_on", type=click.DateTime(["%Y-%m-%d"]), required=True, help="Last day (YYYY-MM-DD).")
def user_substitute(absent: str, substitute: str, starts_on: datetime, ends_on: datetime) -> None:
    """SUBSTITUTE works on ABSENT's tasks from --from to --to (inclusive); prints the substitution id."""
    with services_from_env() as services, services.db.unit_of_work() as uow:
        view = substitutions.add_substitution(uow, services.clock, absent, substitute,
                                              starts_on.date(), ends_on.date())
        uow.commit()
    click.echo(view.id)


def register(cli: click.Group) -> None:
    cli.add_command(user_group)
