"""Who is acting in this request or command.

Until sign-in and API tokens exist (issue #8), requests to the JSON API and the CLI act as administrative
principals named `api` and `cli:<login>`; records' access rules are already applied to whatever principal
is passed, so #8 only has to replace these two functions.
"""

from __future__ import annotations

import getpass

from records.access import Principal


def current_principal() -> Principal:
    return Principal.system("api")


def cli_principal() -> Principal:
    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        login = "unknown"
    return Principal.system(f"cli:{login}")
