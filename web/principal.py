"""Who is acting in this request or command, as the records layer sees it.

Requests act as the signed-in user (session or API token); the CLI is an operator tool and acts as an
administrative principal `cli:<login>` unless a command names a user (`--user`).
"""

from __future__ import annotations

import getpass

from records.access import Principal
from web.people import require_identity


def current_principal() -> Principal:
    return require_identity().principal()


def cli_principal() -> Principal:
    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        login = "unknown"
    return Principal.system(f"cli:{login}")
