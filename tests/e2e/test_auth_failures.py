"""Failed authentications that cost a database read are limited per client IP before any lookup
(`auth_failures`, 100 per minute by default): made-up API keys and tokens of ended sessions get 401
with RateLimit-* headers until the IP's allowance is spent, then 429 with Retry-After, on REST, on
long polls and on the WebSocket's first frame alike, while other addresses are unaffected.
Refusals that cost no read (garbage, a forged signature, a bad key checksum) are answered 401 and
not counted. A path that is not in canonical form
(`//api/…`, `/api//v1`, dot segments, encoded slashes) is refused before it can reach a handler
around the authentication and limits that match on the path."""

from __future__ import annotations

import json
import socket

import httpx
import pytest

from conftest import assert_problem, create_owner
from helpers_agents import fake_key
from helpers_identity import bearer
from helpers_messaging import API, TOO_MANY, UNAUTHORIZED, close_info, wait_closed, ws_connect

LIMIT = 100


def from_address(server, source_ip: str) -> httpx.Client:
    return httpx.Client(base_url=server.base_url, transport=httpx.HTTPTransport(local_address=source_ip), timeout=20)


def rate_headers(r: httpx.Response) -> tuple[int, int]:
    for name in ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"):
        assert r.headers.get(name, "").isdigit(), f"{r.status_code} without {name}: {dict(r.headers)}"
    return int(r.headers["ratelimit-limit"]), int(r.headers["ratelimit-remaining"])


def test_the_default_allowance_is_100_per_minute(make_server):
    server = make_server()
    with server.client() as c:
        r = c.get(f"{API}/me", headers=bearer(fake_key()))
        assert_problem(r, 401)
        assert rate_headers(r) == (LIMIT, LIMIT - 1), dict(r.headers)
        assert int(r.headers["ratelimit-reset"]) <= 60, dict(r.headers)


def test_failed_authentications_are_limited_per_ip_on_rest_polls_and_sockets(make_server):
    # The default count, refilled slowly enough that a loaded machine's pace cannot refill it
    # between the test's requests.
    server = make_server({"CONCLAVE_RATE_LIMITS": f"auth_failures={LIMIT}/1h"})
    owner = create_owner(server, "failures@example.com", "Failures")
    good = owner["access_token"]
    with server.client() as c:
        ended = c.post("/api/v1/auth/login", json={"email": owner["email"], "password": owner["password"]}).json()["access_token"]
        assert c.post(f"{API}/auth/logout", headers=bearer(ended)).status_code in (200, 204)
    with from_address(server, "127.0.0.3") as c:
        # Refusals that cost no read are answered but not counted.
        for credential in ("garbage-token", good[:-6] + "AAAAAA", "ck_" + "A" * 50):
            r = c.get(f"{API}/me", headers=bearer(credential))
            assert_problem(r, 401)
            assert rate_headers(r) == (LIMIT, LIMIT), f"a free refusal was counted: {dict(r.headers)}"
        remaining = []
        for i in range(LIMIT):
            credential = fake_key() if i % 2 else ended
            path = f"{API}/events?wait=0" if i % 3 else f"{API}/me"
            r = c.get(path, headers=bearer(credential))
            assert_problem(r, 401)
            limit, left = rate_headers(r)
            assert limit == LIMIT, r.headers
            remaining.append(left)
        assert remaining == sorted(remaining, reverse=True) and remaining[-1] == 0, remaining
        # The allowance is spent: every credential from this address is refused before any lookup.
        for headers in (bearer(fake_key()), bearer(good)):
            r = c.get(f"{API}/me", headers=headers)
            assert_problem(r, 429)
            assert r.headers.get("retry-after", "").isdigit(), r.headers
            rate_headers(r)
        # A request without credentials is not an authentication failure.
        assert c.get("/health").status_code == 200

    # Another address is unaffected.
    with from_address(server, "127.0.0.4") as c:
        assert c.get(f"{API}/me", headers=bearer(good)).status_code == 200

    # Over the WebSocket: failures on the first frame count too, and past the allowance even a
    # good token is refused (4429).
    sock = socket.socket()
    sock.bind(("127.0.0.5", 0))
    sock.connect((server.host, server.port))
    conn = ws_connect(server, sock=sock)
    conn.send(json.dumps({"type": "auth", "token": fake_key()}))
    code, _ = wait_closed(conn, 10)
    assert code == UNAUTHORIZED, close_info(conn)
    with from_address(server, "127.0.0.5") as c:
        for _ in range(LIMIT - 1):
            assert_problem(c.get(f"{API}/me", headers=bearer(fake_key())), 401)
        assert_problem(c.get(f"{API}/me", headers=bearer(good)), 429)
    sock = socket.socket()
    sock.bind(("127.0.0.5", 0))
    sock.connect((server.host, server.port))
    conn = ws_connect(server, sock=sock)
    conn.send(json.dumps({"type": "auth", "token": good}))
    code, frames = wait_closed(conn, 10)
    assert code == TOO_MANY, f"a socket from an address out of failures: {close_info(conn)} {frames}"


def test_the_auth_failures_limit_is_configurable(make_server):
    server = make_server({"CONCLAVE_RATE_LIMITS": "auth_failures=3/1m"})
    with server.client() as c:
        for _ in range(3):
            assert_problem(c.get(f"{API}/me", headers=bearer(fake_key())), 401)
        assert_problem(c.get(f"{API}/me", headers=bearer(fake_key())), 429)


def raw_status(server, target: str, headers: dict[str, str]) -> tuple[int, bytes]:
    """Sends `target` as the request target exactly as written (no client normalises it)."""
    lines = [f"GET {target} HTTP/1.1", f"Host: {server.host}:{server.port}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, data


@pytest.mark.parametrize("target", [
    "//api/v1/me", "/api//v1/me", "/api/v1//me", "/./api/v1/me", "/api/./v1/me", "/api/v1/./me",
    "/x/../api/v1/me", "/api/v1/../v1/me", "/api%2Fv1/me", "/api/v1%2fme", "/api/v1/%2e/me", "/api\\v1/me",
    "//api/v1/auth/login", "//api/v1/ws",
])
def test_non_canonical_paths_never_reach_a_handler(server, owner, target):
    for headers in ({}, {"Authorization": f"Bearer {owner['access_token']}"}):
        status, data = raw_status(server, target, headers)
        assert status in (400, 404), f"{target} {sorted(headers)}: {status}\n{data[:400]!r}"
        assert b"application/problem+json" in data.lower(), data[:400]
