"""`akte serve` runs waitress; behind a trusted proxy the sign-in limit counts the forwarded client address."""

from __future__ import annotations

import dataclasses
import socket
import subprocess
import time
import urllib.request

from core.bootstrap import Services
from tests.helpers import AKTE, akte_env
from tests.web_helpers import csrf_from
from web.app import create_app


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_answers_with_waitress(services: Services) -> None:
    port = _free_port()
    server = subprocess.Popen([*AKTE, "serve", "--port", str(port)], env=akte_env(services),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline, body, headers = time.monotonic() + 30, "", {}
        while time.monotonic() < deadline and not body:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/sign-in", timeout=5) as response:
                    body, headers = response.read().decode(), dict(response.headers)
            except OSError:
                time.sleep(0.2)
        assert "Anmelden" in body and headers.get("Server") == "akte"
        assert "script-src 'self'" in headers["Content-Security-Policy"]
    finally:
        server.terminate()
        _out, err = server.communicate(timeout=30)
    assert f"serving http://127.0.0.1:{port}" in err


def test_behind_a_proxy_the_forwarded_address_is_rate_limited(services: Services) -> None:
    proxied = dataclasses.replace(services, settings=services.settings.model_copy(update={"proxy_hops": 1}))
    client = create_app(services=proxied).test_client()
    token = csrf_from(client.get("/sign-in").get_data(as_text=True))

    def attempt(login: str, address: str) -> int:
        return client.post("/sign-in", data={"login": login, "password": "wrong password", "csrf_token": token},
                           headers={"X-Forwarded-For": address}).status_code

    assert [attempt(f"user{n}", "203.0.113.7") for n in range(30)] == [401] * 30
    assert attempt("someone-else", "203.0.113.7") == 429  # that client is blocked, whatever login it tries
    assert attempt("someone-else", "198.51.100.2") == 401  # another client behind the same proxy is not
