"""Fixtures of the console's browser tests.

- `server` (per module) replaces tests/e2e's: its public URL is http://localhost:<port>, the origin
  the browser uses, because WebAuthn needs a host name (not an IP) as its RP ID and the console's
  cookie refresh and WebSocket check the server's own origin. `owner` and `client` from
  tests/e2e/conftest.py work on it unchanged.
- `open_browser()` starts a headless Chromium on that server (several for a two-person test);
  each is checked for CSP/Trusted Types violations and the XSS canary at teardown, then closed.
- `browser`: one such browser for the test.
"""

from __future__ import annotations

import socket

import pytest

from conftest import SHARED_SERVER_ENV, running_server

from .chromium import chromium_paths
from .session import BrowserSession


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def console_server_env(port: int) -> dict[str, str]:
    return dict(SHARED_SERVER_ENV, CONCLAVE_PORT=str(port), CONCLAVE_PUBLIC_URL=f"http://localhost:{port}")


@pytest.fixture(scope="session")
def chromium() -> tuple[str, str]:
    return chromium_paths()


@pytest.fixture(scope="module")
def server(conclave_bin, chromium):
    yield from running_server(console_server_env(free_port()))


@pytest.fixture
def open_browser(server, chromium):
    browser_path, driver_path = chromium
    opened: list[BrowserSession] = []

    def factory() -> BrowserSession:
        session = BrowserSession(f"http://localhost:{server.port}", browser_path, driver_path)
        opened.append(session)
        return session

    yield factory
    try:
        for session in opened:
            session.assert_clean()
    finally:
        for session in opened:
            session.quit()


@pytest.fixture
def browser(open_browser) -> BrowserSession:
    return open_browser()
