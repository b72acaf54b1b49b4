"""A real, throw-away IMAP server for the intake tests: Debian's dovecot on a free 127.0.0.1 port.

Dovecot runs in the foreground (`dovecot -c CONFIG -F`) with a configuration of its own: every runtime,
state and log path lives in a temporary folder, one user with a static password, a Maildir owned by the
unprivileged `mail` user (dovecot's login and mail processes refuse to run as root). Messages are put in
with IMAP APPEND, the way a mail server delivers them to a mailbox.
"""

from __future__ import annotations

import contextlib
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

DOVECOT = "/usr/sbin/dovecot"
USER = "rechnungseingang"
PASSWORD = "imap-test-secret"  # a throw-away server on 127.0.0.1
MAIL_USER = "mail"

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:{root}/home/%u/Maildir
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Processed {{
    auto = create
  }}
}}
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
"""


class ImapServerFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class ImapServer:
    host: str
    port: int
    user: str
    password: str
    root: Path

    @property
    def url(self) -> str:
        return f"imap://{self.host}:{self.port}"

    def connect(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        client.login(self.user, self.password)
        return client

    def deliver(self, message: bytes, folder: str = "INBOX") -> None:
        """Put a message into `folder` (unseen), as the mail server's delivery would."""
        with self.connect() as client:
            status, detail = client.append(folder, "", None, message)
            if status != "OK":
                raise ImapServerFailed(f"APPEND failed: {detail!r}")

    def messages(self, folder: str = "INBOX") -> list[tuple[int, bool]]:
        """(uid, seen) of every message in `folder`."""
        with self.connect() as client:
            status, count = client.select(f'"{folder}"', readonly=True)
            if status != "OK" or count[0] in (b"0", None):
                return []
            status, data = client.uid("FETCH", "1:*", "(FLAGS)")
        found = []
        for line in data:
            if not isinstance(line, bytes) or b"UID" not in line:
                continue
            uid = int(line.split(b"UID ", 1)[1].split()[0].rstrip(b")"))
            found.append((uid, b"\\Seen" in line))
        return found

    def seen(self, folder: str = "INBOX") -> list[bool]:
        """Whether each message of `folder` is marked read, oldest first."""
        return [seen for _uid, seen in sorted(self.messages(folder))]

    def clear(self) -> None:
        """Delete every message of every folder (between tests)."""
        with self.connect() as client:
            for folder in ("INBOX", "Processed"):
                status, data = client.select(f'"{folder}"')
                if status == "OK" and data and data[0] not in (b"0", None):
                    client.store("1:*", "+FLAGS.SILENT", "(\\Deleted)")
                    client.expunge()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(port: int, process: subprocess.Popen[bytes], log: Path, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ImapServerFailed(f"dovecot exited with {process.returncode}: {_tail(log)}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            if sock.recv(100).startswith(b"* OK"):
                return
        time.sleep(0.05)
    raise ImapServerFailed(f"dovecot did not answer on port {port} within {seconds:g} s: {_tail(log)}")


def _tail(log: Path) -> str:
    try:
        return " | ".join(log.read_text(errors="replace").splitlines()[-5:])
    except OSError:
        return "(no log)"


@contextlib.contextmanager
def imap_server() -> Iterator[ImapServer]:
    """Start dovecot on a free port with an empty mailbox; stop it and remove everything afterwards."""
    if not os.access(DOVECOT, os.X_OK):
        raise ImapServerFailed(f"{DOVECOT} is missing: run `make system-packages` (installs dovecot-imapd)")
    mail = pwd.getpwnam(MAIL_USER)
    # not below pytest's 0700 temp folder: dovecot's unprivileged login processes must reach the sockets
    root = Path(tempfile.mkdtemp(prefix="akte-dovecot-"))
    try:
        root.chmod(0o755)
        home = root / "home" / USER
        home.mkdir(parents=True)
        for path in (root / "home", home):
            os.chown(path, mail.pw_uid, mail.pw_gid)
        port = _free_port()
        config = root / "dovecot.conf"
        config.write_text(CONFIG.format(root=root, port=port, password=PASSWORD, uid=mail.pw_uid, gid=mail.pw_gid))
        log = root / "dovecot.log"
        process = subprocess.Popen([DOVECOT, "-c", str(config), "-F"], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.STDOUT)
        try:
            _wait_for(port, process, log)
            yield ImapServer("127.0.0.1", port, USER, PASSWORD, root)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    finally:
        shutil.rmtree(root, ignore_errors=True)
