"""Fixtures of the integration tests beyond the shared ones in tests/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.imapserver import ImapServer, ImapServerFailed, imap_server


@pytest.fixture(scope="session")
def dovecot() -> Iterator[ImapServer]:
    """A real IMAP server (Debian's dovecot) on a free port for the run, with a throw-away Maildir."""
    try:
        with imap_server() as server:
            yield server
    except ImapServerFailed as exc:
        pytest.fail(str(exc))


@pytest.fixture
def mailbox(dovecot: ImapServer) -> Iterator[ImapServer]:
    """The IMAP server with empty folders (emptied again afterwards)."""
    dovecot.clear()
    yield dovecot
    dovecot.clear()
