"""The SDK's tests run against the real server binary ($CONCLAVE_BIN), never a mock.

The server harness is the end-to-end suite's (tests/e2e/conftest.py: `Server`, `create_owner`),
loaded under another module name: with CONCLAVE_TEST_POSTGRES_URL set each server gets a fresh
PostgreSQL database, otherwise SQLite in its own data dir.
"""

from __future__ import annotations

import importlib.util
import secrets
import sys
from pathlib import Path
from types import ModuleType

import pytest

from conclave import Conclave

REPO = Path(__file__).resolve().parents[3]
E2E = REPO / "tests" / "e2e"


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


harness = _load("conclave_e2e_harness", E2E / "conftest.py")
tcp_proxy = _load("conclave_e2e_tcp_proxy", E2E / "tcp_proxy.py")
Server = harness.Server

# Generous limits: the tests that are about rate limiting start servers of their own.
RATE_LIMITS = ("login=1000/1m,signup=1000/1h,api=100000/1m,api_anonymous=100000/1m,"
               "send=100000/1m:100000,ws_connect=100000/1m")
SERVER_ENV = {"CONCLAVE_RATE_LIMITS": RATE_LIMITS}


def pytest_report_header(config):
    return [f"conclave sdk: binary={harness.CONCLAVE_BIN} backend={harness.BACKEND}"]


def unique(tag: str = "t") -> str:
    return f"{tag}-{secrets.token_hex(5)}"


@pytest.fixture(scope="session")
def conclave_bin() -> str:
    path = Path(harness.CONCLAVE_BIN)
    if not path.is_file():
        pytest.fail(f"server binary not found at {path} (set CONCLAVE_BIN)", pytrace=False)
    return str(path)


@pytest.fixture(scope="module")
def server(conclave_bin):
    yield from harness.running_server(SERVER_ENV)


# make_server(env={...}, start=True): servers of a test's own (pass SERVER_ENV along), cleaned up after it
make_server = harness.make_server


@pytest.fixture(scope="module")
def owner(server) -> dict:
    """The workspace owner (`conclave admin create-owner`, then a password login)."""
    return harness.create_owner(server, "owner@example.com", "Acme")


@pytest.fixture
def client(server, owner):
    """The owner, signed in through the SDK itself."""
    with Conclave(base_url=server.base_url) as c:
        c.auth.login(owner["email"], owner["password"])
        yield c


@pytest.fixture
def ws(owner) -> str:
    return owner["workspace_id"]


def make_agent(client: Conclave, ws: str, scopes=("messages:read", "messages:write", "channels:read")):
    """An agent and a key for it: (agent, key secret)."""
    agent = client.agents.create(ws, unique("bot"))
    key = client.keys.create(ws, agent.id, list(scopes))
    return agent, key.key


def make_channel(client: Conclave, ws: str, *members: str, private: bool = False):
    channel = client.channels.create(ws, unique("ch"), private=private)
    for member in members:
        client.channels.add_member(channel.id, member)
    return channel
