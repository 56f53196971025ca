"""Evidence for OWASP ASVS 5.0 rows (docs/security/asvs-status.csv) where the code was already
right but no test said so: response headers (CSP, caching, HSTS on every TLS response), TLS 1.3
cipher suites, request framing (Transfer-Encoding with Content-Length), mass assignment,
duplicated query parameters, SQL metacharacters in every free-text input, the absolute session
lifetime, default accounts, the `api`, `send`, `signup`, `refresh` and `ws_connect` limits driven
to 429 end to end, context words in passwords, log timestamps in UTC, refusals in the request log,
what the idempotency store keeps, the dependency inventory, the server's outbound connections,
and the database client's certificate check.

Each test names the requirement it proves. Tests marked xfail(strict=True) pin a server bug found
here: they fail today and must be turned into plain tests when the bug is fixed."""

from __future__ import annotations

import datetime
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import threading
import time
import urllib.parse
from pathlib import Path

import httpx
import pytest

from conftest import CONCLAVE_BIN, Server, assert_problem, create_owner, strong_password
from helpers_agents import create_agent_ok, create_key_ok, scan_bytes, storage_blobs
from helpers_identity import (accept_signup, assert_unauthorized, bearer, create_invite_ok, create_workspace,
                              login_ok, unique_email)
from helpers_messaging import (TOO_MANY, create_channel_ok, open_stream, post, post_ok,
                               wait_closed, ws_connect)
from test_tls import CA, client_context, tls_server

API = "/api/v1"


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def csp_directives(value: str) -> dict[str, list[str]]:
    """A Content-Security-Policy header as {directive: [source expressions]}."""
    out: dict[str, list[str]] = {}
    for part in value.split(";"):
        tokens = part.split()
        if tokens:
            out.setdefault(tokens[0].lower(), tokens[1:])
    return out


def assert_429(r: httpx.Response, what: str) -> None:
    """429 problem, a positive Retry-After, and RateLimit-Remaining: 0."""
    assert r.status_code == 429, f"{what}: expected 429, got {r.status_code}: {r.text[:300]}"
    assert_problem(r, 429)
    retry = r.headers.get("retry-after", "")
    assert retry.isdigit() and int(retry) >= 1, f"{what}: Retry-After={retry!r}"
    assert r.headers.get("ratelimit-remaining") == "0", f"{what}: RateLimit-Remaining={r.headers.get('ratelimit-remaining')!r}"


def raw_exchange(host: str, port: int, payload: bytes, wait: float) -> tuple[bytes, bool]:
    """Send bytes on a fresh connection; read for `wait` seconds. Returns (what came back, whether
    the server closed the connection)."""
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(payload)
        sock.settimeout(0.25)
        data, closed = b"", False
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except (TimeoutError, socket.timeout):
                continue
            except ConnectionResetError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            data += chunk
        return data, closed


def logged(server, since: int) -> list[dict]:
    """The JSON log lines the server wrote after line number `since`."""
    out = []
    for line in server.stdout_lines[since:]:
        line = line.strip()
        if line.startswith("{"):
            out.append(json.loads(line))
    return out


# --------------------------------------------------------------------------------------
# V3.4.3, V3.4.6: Content-Security-Policy; V14.3.2, V14.2.2: no caching of API responses
# --------------------------------------------------------------------------------------

def test_csp_forbids_objects_base_uri_and_framing_on_every_response(server, owner):
    """V3.4.3 (object-src and base-uri 'none', an allowlist policy) and V3.4.6 (frame-ancestors on
    every response), on successes, errors and non-API routes alike."""
    with server.client() as c:
        responses = {
            "200 /health": c.get("/health"),
            "200 /api/v1/me": c.get(f"{API}/me", headers=owner["headers"]),
            "401 /api/v1/me": c.get(f"{API}/me"),
            "404 unknown": c.get("/no/such/route"),
            "405 DELETE /health": c.delete("/health"),
            "415 login as text": c.post(f"{API}/auth/login", content=b"x", headers={"Content-Type": "text/plain"}),
            "422 login": c.post(f"{API}/auth/login", json={"email": 1}),
            "200 /openapi.json": c.get("/openapi.json"),
            "200 /metrics": c.get("/metrics"),
        }
    for where, r in responses.items():
        assert r.status_code == int(where[:3]), f"{where}: got {r.status_code}"
        header = r.headers.get("content-security-policy")
        assert header, f"{where}: no Content-Security-Policy"
        csp = csp_directives(header)
        assert csp.get("default-src") == ["'none'"], f"{where}: {header!r}"
        # object-src is not named, so it falls back to default-src 'none' (CSP's directive fallback list).
        assert csp.get("object-src", csp["default-src"]) == ["'none'"], f"{where}: {header!r}"
        assert csp.get("base-uri") == ["'none'"], f"{where}: {header!r}"
        assert csp.get("frame-ancestors") == ["'none'"], f"{where}: {header!r}"
        assert csp.get("form-action") == ["'none'"], f"{where}: {header!r}"
        assert not any("'unsafe-inline'" in v or "'unsafe-eval'" in v or "*" in v for v in csp.values()), header


def test_api_responses_carrying_credentials_or_data_are_never_cached(server, owner):
    """V14.3.2 and V14.2.2: `Cache-Control: no-store` on every response that carries tokens,
    secrets or workspace data, errors included. The only cacheable response is the public
    /openapi.json."""
    ws = owner["workspace_id"]
    with server.client() as c:
        agent = create_agent_ok(c, owner["headers"], ws, "Cache Probe")
        responses = {
            "login (tokens)": c.post(f"{API}/auth/login", json={"email": owner["email"], "password": owner["password"]}),
            "refresh (tokens)": None,
            "me": c.get(f"{API}/me", headers=owner["headers"]),
            "sessions": c.get(f"{API}/auth/sessions", headers=owner["headers"]),
            "key creation (secret)": c.post(f"{API}/workspaces/{ws}/agents/{agent['id']}/keys",
                                            json={"name": "k", "scopes": ["messages:read"]}, headers=owner["headers"]),
            "invite creation (secret)": c.post(f"{API}/workspaces/{ws}/invites", json={"role": "member"},
                                               headers=owner["headers"]),
            "members": c.get(f"{API}/workspaces/{ws}/members", headers=owner["headers"]),
            "audit": c.get(f"{API}/workspaces/{ws}/audit", headers=owner["headers"]),
            "401": c.get(f"{API}/me"),
            "404": c.get(f"{API}/workspaces/ws_AAAAAAAAAAAAAAAAAAAA", headers=owner["headers"]),
            "health": c.get("/health"),
            "metrics": c.get("/metrics"),
        }
        fresh = responses["login (tokens)"].json()
        responses["refresh (tokens)"] = c.post(f"{API}/auth/refresh", json={"refresh_token": fresh["refresh_token"]})
        public = c.get("/openapi.json")
    for where, r in responses.items():
        assert r.status_code < 500, f"{where}: {r.status_code}"
        directives = {d.strip().lower() for d in r.headers.get("cache-control", "").split(",")}
        assert "no-store" in directives, f"{where}: Cache-Control={r.headers.get('cache-control')!r}"
    assert responses["key creation (secret)"].status_code == 201
    assert responses["refresh (tokens)"].status_code == 200
    assert public.headers.get("cache-control") == "public, max-age=300", public.headers.get("cache-control")


def test_responses_with_secrets_are_never_kept_by_the_idempotency_store(server, owner):
    """V14.2.2 (no sensitive data cached in application caches): the Idempotency-Key store
    replays ordinary responses, but a response carrying a secret (an API key, an invite token) is
    not kept: a retry creates a new one, and the first secret is found nowhere in storage."""
    ws = owner["workspace_id"]
    headers = owner["headers"]
    with server.client() as c:
        # The store does work: an ordinary creation is replayed, not repeated.
        key = "idem-" + secrets.token_hex(8)
        first = c.post(f"{API}/workspaces/{ws}/channels", json={"name": "idem-" + secrets.token_hex(3)},
                       headers={**headers, "Idempotency-Key": key})
        again = c.post(f"{API}/workspaces/{ws}/channels", json=json.loads(first.request.content),
                       headers={**headers, "Idempotency-Key": key})
        assert first.status_code == 201 and again.status_code == 201, (first.text, again.text)
        assert again.headers.get("idempotent-replayed") == "true" and again.json()["id"] == first.json()["id"]

        agent = create_agent_ok(c, headers, ws, "Idempotency Probe")
        key = "idem-" + secrets.token_hex(8)
        body = {"name": "k", "scopes": ["messages:read"]}
        k1 = c.post(f"{API}/workspaces/{ws}/agents/{agent['id']}/keys", json=body, headers={**headers, "Idempotency-Key": key})
        k2 = c.post(f"{API}/workspaces/{ws}/agents/{agent['id']}/keys", json=body, headers={**headers, "Idempotency-Key": key})
        assert k1.status_code == 201 and k2.status_code == 201, (k1.text, k2.text)
        assert "idempotent-replayed" not in k2.headers and k2.json()["key"] != k1.json()["key"]

        key = "idem-" + secrets.token_hex(8)
        i1 = c.post(f"{API}/workspaces/{ws}/invites", json={"role": "member"}, headers={**headers, "Idempotency-Key": key})
        i2 = c.post(f"{API}/workspaces/{ws}/invites", json={"role": "member"}, headers={**headers, "Idempotency-Key": key})
        assert i1.status_code == 201 and i2.status_code == 201
        assert i2.json()["token"] != i1.json()["token"]
    hits = scan_bytes(storage_blobs(server), {"API key": k1.json()["key"], "invite token": i1.json()["token"]})
    assert not hits, f"a secret-bearing response was stored: {hits}"


# --------------------------------------------------------------------------------------
# V3.4.1, V12.1.1, V12.1.2: HSTS on every TLS response; TLS 1.3 AEAD suites only
# --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def evidence_ca() -> CA:
    return CA("Conclave ASVS evidence CA")


def test_hsts_with_subdomains_on_every_tls_response(make_server, evidence_ca):
    """V3.4.1: over TLS every response the application writes, errors included, carries HSTS
    with max-age of at least a year and includeSubDomains (the L2 part)."""
    server, _, owner = tls_server(make_server, evidence_ca)
    with httpx.Client(base_url=server.base_url, verify=client_context(evidence_ca), timeout=20) as c:
        tokens = c.post(f"{API}/auth/login", json={"email": owner["email"], "password": owner["password"]}).json()
        responses = {
            "200 health": c.get("/health"),
            "200 me": c.get(f"{API}/me", headers=bearer(tokens["access_token"])),
            "401": c.get(f"{API}/me"),
            "404": c.get("/no/such/route"),
            "405": c.delete("/health"),
            "415": c.post(f"{API}/auth/login", content=b"x", headers={"Content-Type": "text/plain"}),
            "422": c.post(f"{API}/auth/login", json={}),
            "openapi": c.get("/openapi.json"),
        }
    for where, r in responses.items():
        hsts = r.headers.get("strict-transport-security", "")
        parts = [p.strip().lower() for p in hsts.split(";")]
        ages = [int(p.split("=", 1)[1]) for p in parts if p.startswith("max-age=")]
        assert ages and ages[0] >= 31_536_000, f"{where}: Strict-Transport-Security={hsts!r}"
        assert "includesubdomains" in parts, f"{where}: Strict-Transport-Security={hsts!r}"


RFC8446_SUITES = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
                  "TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_8_SHA256"]
ACCEPTED_SUITES = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}


def test_tls_offers_only_the_tls13_aead_suites(make_server, evidence_ca, tmp_path):
    """V12.1.1 and V12.1.2: the listener negotiates TLS 1.3 with a client that offers everything,
    accepts exactly the GCM and ChaCha20-Poly1305 suites of RFC 8446 (each tried alone with the
    openssl client), refuses the CCM suites, and answers a TLS 1.2-only client with no session:
    no CBC, RC4, 3DES or static-RSA suite can ever be negotiated. TLS 1.3 key exchange is always
    ephemeral (EC)DHE, so every session has forward secrecy."""
    openssl = shutil.which("openssl")
    assert openssl, "the openssl command-line client is needed for this test"
    server, _, _ = tls_server(make_server, evidence_ca)
    (tmp_path / "ca.pem").write_bytes(evidence_ca.pem)

    default = client_context(evidence_ca)
    with socket.create_connection((server.host, server.port), timeout=10) as raw:
        with default.wrap_socket(raw, server_hostname="localhost") as tls:
            name, version, _ = tls.cipher()
    assert version == "TLSv1.3" and name in ACCEPTED_SUITES, (name, version)

    def handshake(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([openssl, "s_client", "-connect", f"{server.host}:{server.port}", "-servername",
                               "localhost", "-CAfile", str(tmp_path / "ca.pem"), "-brief", *args],
                              input="", capture_output=True, text=True, timeout=30)

    accepted = set()
    for suite in RFC8446_SUITES:
        proc = handshake("-tls1_3", "-ciphersuites", suite)
        if proc.returncode == 0:
            out = proc.stdout + proc.stderr
            assert f"Ciphersuite: {suite}" in out and "Protocol version: TLSv1.3" in out, out
            accepted.add(suite)
    assert accepted == ACCEPTED_SUITES, f"TLS 1.3 suites accepted: {sorted(accepted)}"
    tls12 = handshake("-tls1_2")
    assert tls12.returncode != 0, "a TLS 1.2-only client got a session"


# --------------------------------------------------------------------------------------
# V4.2.1: message boundaries (Transfer-Encoding together with Content-Length)
# --------------------------------------------------------------------------------------

SMUGGLED_PATH = "/api/v1/smuggled-" + secrets.token_hex(4)


def te_and_cl_request() -> bytes:
    """A POST whose Content-Length covers a second, smuggled request, while its chunked body
    ends before it: a server that framed by Content-Length would see one request, one that
    framed by chunked encoding and kept the connection would run the smuggled one."""
    smuggled = f"GET {SMUGGLED_PATH} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    chunked = b"0\r\n\r\n"
    return (b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n" % (len(chunked) + len(smuggled))) + chunked + smuggled


def test_te_with_content_length_on_a_kept_alive_connection_is_400_and_smuggles_nothing(server):
    """V4.2.1: after a normal request, an ambiguous one (Transfer-Encoding and Content-Length)
    is answered 400 with Connection: close, and neither it nor the request hidden in its body
    reaches the application."""
    since = len(server.stdout_lines)
    first = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
    data, closed = raw_exchange(server.host, server.port, first + te_and_cl_request(), wait=5)
    responses = data.split(b"HTTP/1.1 ")[1:]
    assert len(responses) == 2, data
    assert responses[0].startswith(b"200 "), data
    assert responses[1].startswith(b"400 ") and b"connection: close" in responses[1].lower(), data
    assert closed, "the connection stayed open after the 400"
    time.sleep(0.3)
    routes = [(line.get("method"), line.get("route")) for line in logged(server, since) if line.get("msg") == "request"]
    assert ("POST", "/api/v1/auth/login") not in routes and not any(r and "smuggled" in r for _, r in routes), routes


def test_te_with_content_length_as_first_request_smuggles_nothing(server):
    """V4.2.1: as the first request of a connection the ambiguous request is not processed, and
    the request hidden in its body is never run."""
    since = len(server.stdout_lines)
    data, _ = raw_exchange(server.host, server.port, te_and_cl_request(), wait=3)
    statuses = re.findall(rb"HTTP/1\.1 (\d{3})", data)
    assert all(status == b"400" for status in statuses), f"answered {statuses}: {data[:300]!r}"
    routes = [line.get("route") for line in logged(server, since) if line.get("msg") == "request"]
    assert "/api/v1/auth/login" not in routes and "unmatched" not in routes, routes


def test_te_with_content_length_as_first_request_is_answered_400_and_closed(server):
    data, closed = raw_exchange(server.host, server.port, te_and_cl_request(), wait=5)
    assert data.startswith(b"HTTP/1.1 400 "), data
    assert closed


def test_unknown_transfer_coding_is_400_not_500(server):
    request = (b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               b"Transfer-Encoding: foo\r\n\r\n{}")
    data, _ = raw_exchange(server.host, server.port, request, wait=3)
    assert data.startswith(b"HTTP/1.1 400 "), data[:200]


# --------------------------------------------------------------------------------------
# V15.3.3: mass assignment; V15.3.7: parameter pollution
# --------------------------------------------------------------------------------------

FOREIGN_USER = "usr_AAAAAAAAAAAAAAAAAAAA"
OLD = "2000-01-01T00:00:00Z"


def test_extra_json_fields_cannot_set_server_owned_attributes(server, owner):
    """V15.3.3: every create/update decodes only its own fields. Ids, owners, roles, creators,
    counters, timestamps and workspace ids sent by the client are refused (contract v1.1 strict
    bodies: 422 naming each field) and the refused request writes nothing; the same request
    without them then makes what the server decides, not what the client sent."""
    h, ws = owner["headers"], owner["workspace_id"]
    with server.client() as c:
        other = create_workspace(c, h, "Mass Other")["id"]

        def refused_then_made(method: str, url: str, good: dict, extra: dict, headers: dict | None = h, ok: int = 201) -> dict:
            r = c.request(method, url, headers=headers, json={**good, **extra})
            assert r.status_code == 422, f"{method} {url} with {sorted(extra)}: {r.status_code} {r.text}"
            named = sorted(e["field"] for e in r.json()["errors"] if e["message"] == "unknown field")
            assert named == sorted(extra), (url, named)
            r = c.request(method, url, headers=headers, json=good)
            assert r.status_code == ok, f"{method} {url} without the extra fields: {r.status_code} {r.text}"
            return r.json()

        made = refused_then_made("POST", f"{API}/workspaces", {"name": "Mass W"},
                                 {"id": "ws_AAAAAAAAAAAAAAAAAAAA", "created_by": FOREIGN_USER, "role": "viewer", "created_at": OLD})
        assert made["id"] != "ws_AAAAAAAAAAAAAAAAAAAA" and made["role"] == "owner" and not made["created_at"].startswith("2000")

        renamed = refused_then_made("PATCH", f"{API}/workspaces/{ws}", {"name": "Acme"},
                                    {"id": "ws_BBBBBBBBBBBBBBBBBBBB", "created_at": OLD}, ok=200)
        assert renamed["id"] == ws and not renamed["created_at"].startswith("2000"), renamed

        invite = refused_then_made("POST", f"{API}/workspaces/{ws}/invites", {"role": "member"}, {
            "workspace_id": other, "created_by": FOREIGN_USER, "uses": 7, "token": "chosen-token",
            "id": "inv_AAAAAAAAAAAAAAAAAAAA", "revoked": True})
        assert invite["workspace_id"] == ws and invite["uses"] == 0 and invite["revoked"] is False
        assert invite["token"] != "chosen-token" and invite["id"] != "inv_AAAAAAAAAAAAAAAAAAAA"

        # the refused sign-up must not spend the invite
        person = refused_then_made("POST", f"{API}/invites/{invite['token']}/accept",
                                   {"email": unique_email("mass"), "password": strong_password(), "name": "Mass Person"},
                                   {"role": "owner", "workspace_id": other, "id": FOREIGN_USER, "kind": "agent"}, headers=None)
        assert person["role"] == "member" and person["user_id"] != FOREIGN_USER, person
        me = c.get(f"{API}/me", headers=bearer(person["access_token"])).json()
        assert me["kind"] == "human" and me["workspaces"] == [{"id": ws, "role": "member"}], me

        channel = refused_then_made("POST", f"{API}/workspaces/{ws}/channels", {"name": "mass-" + secrets.token_hex(3)}, {
            "id": "ch_AAAAAAAAAAAAAAAAAAAA", "workspace_id": other, "created_by": FOREIGN_USER, "last_seq": 99, "kind": "dm"})
        assert (channel["workspace_id"], channel["kind"], channel["last_seq"]) == (ws, "channel", 0), channel
        assert channel["id"] != "ch_AAAAAAAAAAAAAAAAAAAA" and channel["created_by"] == owner["user_id"]

        patched = refused_then_made("PATCH", f"{API}/channels/{channel['id']}", {"topic": "t"},
                                    {"private": True, "kind": "dm", "workspace_id": other, "last_seq": 50}, ok=200)
        assert (patched["private"], patched["kind"], patched["workspace_id"], patched["last_seq"]) == (False, "channel", ws, 0)

        message = refused_then_made("POST", f"{API}/channels/{channel['id']}/messages", {"text": "hello"}, {
            "id": "msg_AAAAAAAAAAAAAAAAAAAA", "sender_id": FOREIGN_USER, "sender": {"id": FOREIGN_USER, "kind": "agent"},
            "seq": 999, "channel_id": "ch_BBBBBBBBBBBBBBBBBBBB", "created_at": OLD, "edited_at": OLD, "deleted": True,
            "reply_count": 5})
        assert message["sender"] == {"id": owner["user_id"], "kind": "human"} and message["seq"] == 1, message
        assert message["id"] != "msg_AAAAAAAAAAAAAAAAAAAA" and message["channel_id"] == channel["id"]
        assert (message["edited_at"], message["deleted"], message["reply_count"]) == (None, False, 0), message

        edited = refused_then_made("PATCH", f"{API}/messages/{message['id']}", {"text": "edited"},
                                   {"sender_id": FOREIGN_USER, "channel_id": "ch_BBBBBBBBBBBBBBBBBBBB", "seq": 5}, ok=200)
        assert (edited["sender"]["id"], edited["channel_id"], edited["seq"], edited["text"]) == \
            (owner["user_id"], channel["id"], 1, "edited")

        agent = refused_then_made("POST", f"{API}/workspaces/{ws}/agents", {"name": "Mass Bot"}, {
            "role": "owner", "workspace_id": other, "status": "paused", "id": "agt_AAAAAAAAAAAAAAAAAAAA",
            "created_by": FOREIGN_USER})
        assert (agent["role"], agent["workspace_id"], agent["status"], agent["created_by"]) == \
            ("agent", ws, "active", owner["user_id"]), agent

        key = refused_then_made("POST", f"{API}/workspaces/{ws}/agents/{agent['id']}/keys",
                                {"name": "k", "scopes": ["messages:read"]}, {
            "prefix": "ck_chosen", "key": "ck_" + "A" * 49, "id": "key_AAAAAAAAAAAAAAAAAAAA", "owner_id": FOREIGN_USER,
            "workspace_id": other, "revoked_at": OLD})
        assert key["owner_id"] == agent["id"] and key["revoked_at"] is None and key["key"] != "ck_" + "A" * 49
        assert key["prefix"] == key["key"][:12] and key["id"] != "key_AAAAAAAAAAAAAAAAAAAA"

        # Nothing was created under the ids the client chose.
        for path in (f"{API}/workspaces/ws_AAAAAAAAAAAAAAAAAAAA", f"{API}/channels/ch_AAAAAAAAAAAAAAAAAAAA",
                     f"{API}/workspaces/{ws}/agents/agt_AAAAAAAAAAAAAAAAAAAA"):
            assert c.get(path, headers=h).status_code == 404, path


def test_duplicated_query_parameters_are_read_one_way(server, owner):
    """V15.3.7: a repeated query parameter is resolved one way everywhere (the first value is the
    one validated and the one used, so a check cannot see one value and the query another), query
    parameters never stand in for body or path values, and nothing here is a 5xx."""
    h, ws = owner["headers"], owner["workspace_id"]
    with server.client() as c:
        channel = create_channel_ok(c, h, ws)
        for i in range(3):
            post_ok(c, h, channel["id"], f"hpp {i}")

        def same(url_a: str, url_b: str) -> httpx.Response:
            a, b = c.get(url_a, headers=h), c.get(url_b, headers=h)
            assert a.status_code < 500 and b.status_code < 500, (url_a, a.text, url_b, b.text)
            assert a.status_code == b.status_code, (url_a, a.status_code, url_b, b.status_code)
            if a.status_code == 200:
                assert a.json() == b.json(), (url_a, url_b)
            return a

        msgs = f"{API}/channels/{channel['id']}/messages"
        assert len(same(f"{msgs}?limit=1&limit=500", f"{msgs}?limit=1").json()["data"]) == 1
        assert same(f"{msgs}?limit=500&limit=1", f"{msgs}?limit=500").status_code == 422
        page = same(f"{msgs}?after_seq=2&after_seq=0", f"{msgs}?after_seq=2").json()["data"]
        assert [m["seq"] for m in page] == [3], page
        assert same(f"{msgs}?after_seq=-1&after_seq=0", f"{msgs}?after_seq=-1").status_code == 422

        lists = f"{API}/workspaces/{ws}/channels"
        assert same(f"{lists}?limit=1&limit=200", f"{lists}?limit=1").status_code == 200
        create_invite_ok(c, h, ws, "member")
        audit = f"{API}/workspaces/{ws}/audit"
        rows = same(f"{audit}?action=invite.created&action=workspace.created", f"{audit}?action=invite.created").json()["data"]
        assert rows and {row["action"] for row in rows} == {"invite.created"}, rows

        started = time.monotonic()
        r = c.get(f"{API}/events?wait=0&wait=60", headers=h)
        assert r.status_code == 200 and time.monotonic() - started < 10, (r.status_code, r.text[:200])
        assert_problem(c.get(f"{API}/events?wait=600&wait=0", headers=h), 422)

        # Query parameters never replace the body or the path.
        r = c.post(f"{API}/auth/login?email=nobody@example.com&password=x",
                   json={"email": owner["email"], "password": owner["password"]})
        assert r.status_code == 200, r.text
        r = c.get(f"{API}/workspaces/{ws}?ws=ws_AAAAAAAAAAAAAAAAAAAA&id=ws_AAAAAAAAAAAAAAAAAAAA", headers=h)
        assert r.status_code == 200 and r.json()["id"] == ws, r.text


SQL_PAYLOADS = ["' OR '1'='1", "x' UNION SELECT id, email, password_hash FROM users --", "\"; DROP TABLE users; --",
                "1) OR (1=1", "%' OR 'a' LIKE '%", "\\'; SELECT pg_sleep(5); --"]


def test_sql_metacharacters_in_every_free_text_input_are_data(server, owner):
    """V1.2.4: every string that reaches a WHERE clause (login email, refresh token, invite token,
    audit filters, Idempotency-Key) or is stored (names, topics, message text and metadata) is
    bound as a value, never spliced into SQL: lookups find nothing, stored text comes back byte for
    byte, nothing is slow or a 5xx, and every table is still there. All queries are SQLKit
    `\\(bind:)` interpolations (Sources/ConclaveStore)."""
    h, ws = owner["headers"], owner["workspace_id"]
    with server.client() as c:
        unknown = c.post(f"{API}/auth/login", json={"email": "nobody@example.com", "password": "Wrong-password-1"})
        channel = create_channel_ok(c, h, ws)
        for payload in SQL_PAYLOADS:
            started = time.monotonic()
            r = c.post(f"{API}/auth/login", json={"email": payload, "password": payload})
            assert r.status_code == 401 and r.json()["detail"] == unknown.json()["detail"], (payload, r.text)
            assert_unauthorized(c.post(f"{API}/auth/refresh", json={"refresh_token": payload}), payload)
            assert c.post(f"{API}/invites/{urllib.parse.quote(payload, safe='')}/accept", json={}).status_code in (401, 404)
            for name in ("action", "actor"):
                r = c.get(f"{API}/workspaces/{ws}/audit", params={name: payload}, headers=h)
                assert r.status_code == 200 and r.json()["data"] == [], (name, payload, r.text[:300])
            r = c.patch(f"{API}/channels/{channel['id']}", json={"topic": payload}, headers=h)
            assert r.status_code == 200 and r.json()["topic"] == payload, r.text
            sent = post_ok(c, h, channel["id"], payload, metadata={"q": payload, payload: 1})
            r = c.get(f"{API}/channels/{channel['id']}/messages", params={"after_seq": sent["seq"] - 1}, headers=h)
            got = r.json()["data"][0]
            assert (got["text"], got["metadata"]) == (payload, {"q": payload, payload: 1}), got
            key = "sqli" + payload.replace(" ", "")[:40] + secrets.token_hex(3)
            first = c.post(f"{API}/workspaces/{ws}/agents", json={"name": "Bot " + secrets.token_hex(3), "description": payload},
                           headers={**h, "Idempotency-Key": key})
            again = c.post(f"{API}/workspaces/{ws}/agents", json=json.loads(first.request.content),
                           headers={**h, "Idempotency-Key": key})
            assert first.status_code == 201 and first.json()["description"] == payload, first.text
            assert again.json()["id"] == first.json()["id"], "the Idempotency-Key lookup did not find its own row"
            assert time.monotonic() - started < 4, f"{payload!r} took {time.monotonic() - started:.1f}s"
        r = c.get(f"{API}/workspaces/{ws}/audit", params={"action": "workspace.created"}, headers=h)
        assert len(r.json()["data"]) == 1, r.text
    for table in ("users", "messages", "audit_log", "sessions"):
        assert int(server.sql_rows(f"SELECT count(*) FROM {table}")[0][0]) > 0, table


# --------------------------------------------------------------------------------------
# V7.3.2: absolute session lifetime; V6.3.2: no default accounts
# --------------------------------------------------------------------------------------

def test_sessions_end_30_days_after_login_whatever_their_use(make_server):
    """V7.3.2: a session's expiry is fixed at login (30 days), refreshing does not move it, and
    once it has passed, neither its access token nor its refresh token works: the person must log
    in again. The passage of 30 days is simulated by moving expires_at in the database."""
    srv = make_server({"CONCLAVE_RATE_LIMITS": "login=100/1m"})
    owner = create_owner(srv)
    with srv.client() as c:
        watcher = login_ok(c, owner["email"], owner["password"])
        before = utc_now()
        victim = login_ok(c, owner["email"], owner["password"])

        def expiry_of(session_id: str) -> datetime.datetime:
            r = c.get(f"{API}/auth/sessions", headers=watcher["headers"])
            assert r.status_code == 200, r.text
            found = [s for s in r.json()["data"] if s["id"] == session_id]
            assert found, f"{session_id} not among the active sessions"
            return datetime.datetime.fromisoformat(found[0]["expires_at"].replace("Z", "+00:00"))

        expires = expiry_of(victim["session_id"])
        lifetime = expires - before
        assert datetime.timedelta(days=30) - datetime.timedelta(seconds=5) <= lifetime <= datetime.timedelta(days=30, seconds=5), lifetime

        # Refreshing (using the session) does not extend it: the lifetime is absolute.
        r = c.post(f"{API}/auth/refresh", json={"refresh_token": victim["refresh_token"]})
        assert r.status_code == 200, r.text
        refreshed = r.json()
        assert refreshed["session_id"] == victim["session_id"]
        assert expiry_of(victim["session_id"]) == expires

        # 30 days later (simulated; the victim's token was never used, so no cache holds its session).
        past = int(time.time() * 1000) - 1000
        srv.sql(f"UPDATE sessions SET expires_at = {past} WHERE id = '{victim['session_id']}'")
        assert_unauthorized(c.get(f"{API}/me", headers=bearer(refreshed["access_token"])), "access token of an expired session")
        assert_unauthorized(c.post(f"{API}/auth/refresh", json={"refresh_token": refreshed["refresh_token"]}),
                            "refresh token of an expired session")
        listed = c.get(f"{API}/auth/sessions", headers=watcher["headers"]).json()["data"]
        assert victim["session_id"] not in {s["id"] for s in listed}
        # Logging in again is the way back.
        assert c.get(f"{API}/me", headers=login_ok(c, owner["email"], owner["password"])["headers"]).status_code == 200


DEFAULT_CREDENTIALS = [
    ("admin", "admin"), ("root", "root"), ("sa", "sa"), ("admin", "password"), ("administrator", "administrator"),
    ("admin@localhost", "admin"), ("root@localhost", "root"), ("admin@example.com", "admin"),
    ("admin@conclave.local", "conclave"), ("conclave", "conclave"), ("guest", "guest"), ("test", "test"),
]


def test_a_fresh_server_has_no_accounts_and_refuses_default_logins(make_server):
    """V6.3.2: migrations create no account; every well-known default login is refused the same
    way as any wrong login (401, same body); the first account is the one create-owner makes."""
    srv = make_server({"CONCLAVE_RATE_LIMITS": "login=100/1m"})
    assert srv.sql_rows("SELECT count(*) FROM users") == [["0"]]
    bodies = set()
    with srv.client() as c:
        for email, password in DEFAULT_CREDENTIALS:
            r = c.post(f"{API}/auth/login", json={"email": email, "password": password})
            body = assert_unauthorized(r, f"{email}/{password}")
            assert "access_token" not in body
            bodies.add(json.dumps({k: v for k, v in body.items() if k not in ("instance", "request_id")}, sort_keys=True))
    assert len(bodies) == 1, bodies
    owner = create_owner(srv, "first@example.com", "First")
    assert srv.sql_rows("SELECT email, kind FROM users") == [["first@example.com", "human"]]
    with srv.client() as c:
        for email, password in DEFAULT_CREDENTIALS[:3]:
            assert c.post(f"{API}/auth/login", json={"email": email, "password": password}).status_code == 401
        assert c.get(f"{API}/me", headers=owner["headers"]).status_code == 200


# --------------------------------------------------------------------------------------
# V2.4.1: the api, api_anonymous, send, ws_connect, signup and refresh limits, end to end
# --------------------------------------------------------------------------------------

def test_api_limit_is_per_principal_and_anonymous_limit_per_ip(make_server):
    """V2.4.1: the `api` bucket stops a principal after its quota (429, Retry-After, RateLimit-*)
    without affecting another principal or non-API routes; unauthenticated API calls have their
    own smaller per-IP bucket."""
    srv = make_server({"CONCLAVE_RATE_LIMITS": "api=6/1m,login=100/1m"})
    first = create_owner(srv, "first@example.com", "First")
    second = create_owner(srv, "second@example.com", "Second")
    with srv.client() as c:
        remaining = []
        for i in range(6):
            r = c.get(f"{API}/me", headers=first["headers"])
            assert r.status_code == 200, f"request {i + 1}: {r.status_code} {r.text}"
            assert r.headers.get("ratelimit-limit") == "6"
            remaining.append(int(r.headers["ratelimit-remaining"]))
        assert remaining == sorted(remaining, reverse=True) and remaining[-1] == 0, remaining
        assert_429(c.get(f"{API}/me", headers=first["headers"]), "7th API call in a minute")
        assert_429(c.get(f"{API}/workspaces", headers=first["headers"]), "another route, same principal")
        assert c.get(f"{API}/me", headers=second["headers"]).status_code == 200
        assert c.get("/health").status_code == 200

    anon = make_server({"CONCLAVE_RATE_LIMITS": "api_anonymous=3/1m"})
    with anon.client() as c:
        for i in range(3):
            assert c.get(f"{API}/me").status_code == 401, i
        assert_429(c.get(f"{API}/me"), "4th anonymous API call in a minute")
        assert_429(c.post(f"{API}/auth/login", json={"email": "a@example.com", "password": "p" * 12}), "login counts too")
        assert c.get("/health").status_code == 200


def test_send_ws_connect_signup_and_refresh_limits(make_server):
    """V2.4.1: `send` is one bucket per principal for REST and WebSocket sends; `ws_connect`
    closes an over-limit socket with 4429; `signup` stops sign-ups per IP (the refused one does
    not use up the invite); `refresh` stops token refreshes per IP."""
    srv = make_server({"CONCLAVE_RATE_LIMITS": "send=3/1m:3,ws_connect=2/1m,signup=2/1h,refresh=2/1m,login=100/1m"})
    owner = create_owner(srv)
    h, ws = owner["headers"], owner["workspace_id"]
    with srv.client() as c:
        channel = create_channel_ok(c, h, ws)
        for i in range(3):
            post_ok(c, h, channel["id"], f"within the limit {i}")
        assert_429(post(c, h, channel["id"], "one too many"), "4th send in a minute")

        stream, _, _ = open_stream(srv, owner["access_token"])
        try:
            stream.send({"type": "send", "client_msg_id": "over", "channel_id": channel["id"], "text": "over the socket"})
            answer = stream.wait_for(lambda f: f.get("client_msg_id") == "over", what="answer to the send")
            assert answer["type"] == "error" and answer["status"] == 429, answer
            second, _, _ = open_stream(srv, owner["access_token"])
            try:
                third = ws_connect(srv)
                third.send(json.dumps({"type": "auth", "token": owner["access_token"]}))
                code, frames = wait_closed(third, timeout=10)
                assert code == TOO_MANY and not any('"ready"' in str(f) for f in frames), (code, frames)
                assert third.close_reason == "too many connection attempts", third.close_reason
            finally:
                second.close()
        finally:
            stream.close()

        invite = create_invite_ok(c, h, ws, "member", max_uses=5)
        for i in range(2):
            r = accept_signup(c, invite["token"], unique_email("signup"), strong_password(), f"Signup {i}")
            assert r.status_code == 201, r.text
        assert_429(accept_signup(c, invite["token"], unique_email("signup"), strong_password(), "Third"), "3rd sign-up in an hour")
        invites = c.get(f"{API}/workspaces/{ws}/invites", headers=h).json()["data"]
        assert [i["uses"] for i in invites if i["id"] == invite["id"]] == [2], invites

        refresh = owner["refresh_token"]
        for i in range(2):
            r = c.post(f"{API}/auth/refresh", json={"refresh_token": refresh})
            assert r.status_code == 200, r.text
            refresh = r.json()["refresh_token"]
        assert_429(c.post(f"{API}/auth/refresh", json={"refresh_token": refresh}), "3rd refresh in a minute")


# --------------------------------------------------------------------------------------
# V6.2.11 / V6.1.2: context words in passwords
# --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def signup_server(conclave_bin):
    srv = Server({"CONCLAVE_RATE_LIMITS": "login=100/1m,signup=100/1h"})
    try:
        srv.start()
        yield srv
    finally:
        srv.cleanup()


def test_passwords_containing_the_account_email_or_name_are_refused(signup_server):
    """V6.2.11: the documented context words (docs/security/authentication.md) are enforced over
    the API: at sign-up the email and the display name, at password change the same."""
    srv = signup_server
    owner = create_owner(srv, "ctx-owner@example.com", "Ctx")
    tail = secrets.token_hex(6)
    with srv.client() as c:
        invite = create_invite_ok(c, owner["headers"], owner["workspace_id"], "member", max_uses=10)
        for email, name, password in [
            ("marjoram@example.com", "Oregano", f"my-oregano-{tail}"),
            ("basil.q@example.com", "Someone", f"x-BASIL.Q@EXAMPLE.COM-{tail}"),
        ]:
            r = accept_signup(c, invite["token"], email, password, name)
            body = assert_problem(r, 422)
            assert [e["field"] for e in body["errors"]] == ["password"], body
        person_email = unique_email("ctx")
        r = accept_signup(c, invite["token"], person_email, strong_password(), "Rosemary")
        assert r.status_code == 201, r.text
        person = r.json()
        password = json.loads(r.request.content)["password"]
        r = c.post(f"{API}/auth/password", headers=bearer(person["access_token"]),
                   json={"current_password": password, "new_password": f"my-rosemary-{tail}"})
        assert_problem(r, 422)
        r = c.post(f"{API}/auth/password", headers=bearer(person["access_token"]),
                   json={"current_password": password, "new_password": f"{person_email}!{tail}"})
        assert_problem(r, 422)


def test_passwords_containing_the_service_name_are_refused(signup_server):
    srv = signup_server
    owner = create_owner(srv, f"svc-{secrets.token_hex(3)}@example.com", "Svc")
    with srv.client() as c:
        invite = create_invite_ok(c, owner["headers"], owner["workspace_id"], "member")
        r = accept_signup(c, invite["token"], unique_email("svc"), f"Conclave-{secrets.token_hex(8)}", "Someone Else")
        assert r.status_code == 422, r.text[:200]


# --------------------------------------------------------------------------------------
# V16.2.2: UTC timestamps; V16.3.3: refusals in the request log
# --------------------------------------------------------------------------------------

def test_log_and_audit_timestamps_are_utc_from_the_system_clock(make_server):
    """V16.2.2: every JSON log line's `ts` and every audit entry's `at` is RFC 3339 in UTC (`Z`)
    and agrees with the test's own UTC clock (one process, one system clock for both)."""
    started = utc_now()
    srv = make_server({"CONCLAVE_RATE_LIMITS": "login=100/1m"})
    owner = create_owner(srv)
    with srv.client() as c:
        c.post(f"{API}/auth/login", json={"email": owner["email"], "password": "wrong-" + strong_password()})
        c.get(f"{API}/me", headers=owner["headers"])
        audit = c.get(f"{API}/workspaces/{owner['workspace_id']}/audit", headers=owner["headers"]).json()["data"]
    srv.stop()
    ended = utc_now()
    slack = datetime.timedelta(seconds=5)

    def check(stamp: str, where: str) -> None:
        assert stamp.endswith("Z"), f"{where}: {stamp!r} is not UTC"
        when = datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        assert when.utcoffset() == datetime.timedelta(0)
        assert started - slack <= when <= ended + slack, f"{where}: {stamp} outside {started}..{ended}"

    lines = logged(srv, 0)
    assert len(lines) >= 4, srv.stdout
    for line in lines:
        check(line["ts"], f"log line {line.get('msg')!r}")
    assert audit
    for entry in audit:
        check(entry["at"], f"audit {entry['action']}")


def test_refusals_are_logged_with_status_route_client_and_request_id(server, owner):
    """V16.3.3 (attempts to get past input validation and anti-automation are logged) and the
    request-log half of V16.3.2: each 401, 403, 404, 413, 415, 422 and 429 produces a log line
    with its status, route template, client IP and the request id the client saw."""
    h, ws = owner["headers"], owner["workspace_id"]
    since = len(server.stdout_lines)
    with server.client() as c:
        agent = create_agent_ok(c, h, ws, "Log Probe")
        narrow = create_key_ok(c, h, ws, agent["id"], ["messages:read"])["key"]
        answers = {
            401: c.get(f"{API}/me", headers=bearer("not-a-token")),
            403: c.post(f"{API}/workspaces/{ws}/channels", json={"name": "nope"}, headers=bearer(narrow)),
            404: c.get(f"{API}/workspaces/ws_AAAAAAAAAAAAAAAAAAAA", headers=h),
            413: c.post(f"{API}/auth/login", content=b"{" + b" " * (1024 * 1024 + 10) + b"}",
                        headers={"Content-Type": "application/json"}),
            415: c.post(f"{API}/auth/login", content=b"a=b", headers={"Content-Type": "application/x-www-form-urlencoded"}),
            422: c.post(f"{API}/auth/login", json={"email": ["x"], "password": 1}),
        }
        limited = None
        for _ in range(30):
            r = c.post(f"{API}/auth/mfa", json={"mfa_token": "mfa_fixed-" + ws, "code": "000000"})
            if r.status_code == 429:
                limited = r
                break
        assert limited is not None, "the mfa limit never answered 429"
        answers[429] = limited
    time.sleep(0.3)
    by_id = {line.get("request_id"): line for line in logged(server, since) if line.get("msg") == "request"}
    for status, r in answers.items():
        assert r.status_code == status, f"expected {status}, got {r.status_code}: {r.text[:200]}"
        line = by_id.get(r.headers.get("x-request-id"))
        assert line, f"no request log line for the {status} (request id {r.headers.get('x-request-id')})"
        assert line["status"] == str(status) and line["client_ip"] == "127.0.0.1" and line["route"].startswith("/"), line
        assert line["level"] == "info" and line["method"] == r.request.method, line


# --------------------------------------------------------------------------------------
# V15.1.2: the dependency inventory matches Package.resolved and names only trusted sources
# --------------------------------------------------------------------------------------

def inventory_rows(markdown: str) -> dict[str, tuple[str, str]]:
    """{package: (version, source)} from the table under '## Inventory' of dependencies.md."""
    rows: dict[str, tuple[str, str]] = {}
    section = markdown.split("## Inventory", 1)[1].split("\n## ", 1)[0]
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[2].startswith("https://"):
            rows[cells[0]] = (cells[1], cells[2])
    return rows


def test_every_resolved_dependency_is_inventoried_and_from_a_trusted_source():
    """V15.1.2: docs/security/dependencies.md lists exactly the packages of Package.resolved, with
    their pinned versions and sources, and every source is an HTTPS GitHub repository of an
    organisation that page names as trusted. No server needed."""
    repo = Path(__file__).resolve().parents[2]
    doc = (repo / "docs" / "security" / "dependencies.md").read_text(encoding="utf-8")
    trusted_section = doc.split("## Trusted sources", 1)[1].split("\n## ", 1)[0]
    trusted = {name for line in trusted_section.splitlines() if line.startswith("- ")
               for name in re.findall(r"`([A-Za-z0-9_.-]+)`", line.split("(")[0])}
    assert {"apple", "swift-server", "hummingbird-project", "vapor"} <= trusted, trusted

    resolved = json.loads((repo / "Package.resolved").read_text(encoding="utf-8"))
    pins = {p["identity"]: (p["state"].get("version"), p["location"]) for p in resolved["pins"]}
    for identity, (version, _) in pins.items():
        assert version, f"{identity} is pinned to a branch or bare commit, not a released version"
    listed = inventory_rows(doc)
    assert listed == pins, (f"dependencies.md and Package.resolved differ: only in the doc "
                            f"{sorted(set(listed.items()) - set(pins.items()))}, only resolved "
                            f"{sorted(set(pins.items()) - set(listed.items()))}")
    for identity, (_, location) in pins.items():
        parts = location.split("/")
        assert location.startswith("https://github.com/") and parts[3] in trusted, f"{identity}: untrusted source {location}"


# --------------------------------------------------------------------------------------
# V14.2.3: no data leaves for third parties: the server's only peers are its clients and its database
# --------------------------------------------------------------------------------------

def inet_sockets(pid: int) -> list[tuple[str, str, str, str]]:
    """(protocol, local address, remote address, state) of every TCP/UDP socket the process holds,
    read from /proc (addresses as the kernel's hex strings)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for proto in ("tcp", "tcp6", "udp", "udp6"):
        try:
            with open(f"/proc/{pid}/net/{proto}") as table:
                next(table)
                for line in table:
                    fields = line.split()
                    if fields[9] in inodes:
                        found.append((proto, fields[1], fields[2], fields[3]))
        except FileNotFoundError:
            continue
    return found


def port_of(hex_address: str) -> int:
    return int(hex_address.rsplit(":", 1)[1], 16)


def test_the_server_opens_no_connection_but_to_its_database(make_server):
    """V14.2.3 (no telemetry, no trackers): while a workload runs through logins, messages, a
    WebSocket, invites, keys and TOTP enrolment, the server's sockets (sampled from /proc every few
    milliseconds) are only its listener, connections accepted on it, and on PostgreSQL connections
    to the database port. No UDP socket (no DNS lookups) is ever open."""
    srv = make_server({"CONCLAVE_RATE_LIMITS": "login=100/1m"})
    owner = create_owner(srv)
    db_port = urllib.parse.urlsplit(srv.database_url).port if srv.database_url else None
    strays: list[tuple] = []
    samples = 0
    clients_seen = 0
    stop = threading.Event()

    def sample():
        nonlocal samples, clients_seen
        while not stop.is_set():
            for proto, local, remote, state in inet_sockets(srv.proc.pid):
                if proto.startswith("udp"):
                    strays.append((proto, local, remote, state))
                elif state == "0A":  # listening
                    if port_of(local) != srv.port:
                        strays.append((proto, local, remote, state))
                elif port_of(local) == srv.port:
                    clients_seen += 1
                elif port_of(remote) != db_port:
                    strays.append((proto, local, remote, state))
            samples += 1
            time.sleep(0.002)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        with srv.client() as c:
            h, ws = owner["headers"], owner["workspace_id"]
            channel = create_channel_ok(c, h, ws)
            for i in range(5):
                post_ok(c, h, channel["id"], f"telemetry probe {i}")
            invite = create_invite_ok(c, h, ws, "member")
            assert accept_signup(c, invite["token"], unique_email("probe"), strong_password(), "Probe").status_code == 201
            agent = create_agent_ok(c, h, ws, "Probe Bot")
            create_key_ok(c, h, ws, agent["id"], ["messages:read"])
            assert c.post(f"{API}/auth/totp/enroll", headers=h).status_code in (200, 201)
            c.get("/metrics")
            stream, _, _ = open_stream(srv, owner["access_token"])
            post_ok(c, h, channel["id"], "seen on the socket")
            time.sleep(0.5)
            stream.close()
            c.post(f"{API}/auth/logout", headers=h)
        time.sleep(0.5)
    finally:
        stop.set()
        sampler.join(timeout=5)
    # The sampler really watched the workload: it saw the clients' connections.
    assert samples >= 10 and clients_seen >= 10, f"{samples} samples, {clients_seen} client sockets seen"
    assert not strays, f"sockets to somewhere else than clients and the database: {sorted(set(strays))}"


# --------------------------------------------------------------------------------------
# V12.3.2: the PostgreSQL client validates the server's certificate before talking
# --------------------------------------------------------------------------------------

class FakePostgres:
    """Speaks just enough of the PostgreSQL wire protocol to see what a client does: answers an
    SSLRequest with 'S' and a TLS handshake under a certificate from an untrusted CA, and records
    whether the client completed the handshake and sent its StartupMessage."""

    SSL_REQUEST = 80877103
    PROTOCOL_3 = 196608

    def __init__(self, ca: CA, directory):
        _, cert_pem, key_pem = ca.issue("localhost", server=True)
        (directory / "pg.crt").write_bytes(cert_pem)
        (directory / "pg.key").write_bytes(key_pem)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(directory / "pg.crt", directory / "pg.key")
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.events: list[str] = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(10)
                try:
                    head = conn.recv(8, socket.MSG_WAITALL)
                    if len(head) < 8:
                        continue
                    _, code = struct.unpack("!II", head)
                    if code == self.PROTOCOL_3:
                        self.events.append("plaintext startup")
                        continue
                    if code != self.SSL_REQUEST:
                        self.events.append(f"unknown first message {code}")
                        continue
                    self.events.append("ssl request")
                    conn.sendall(b"S")
                    with self.context.wrap_socket(conn, server_side=True) as tls:
                        self.events.append("handshake completed")
                        if tls.recv(8):
                            self.events.append("startup over tls")
                except ssl.SSLError as error:
                    self.events.append(f"handshake refused: {error.reason}")
                except OSError as error:
                    self.events.append(f"connection error: {error}")

    def close(self) -> None:
        self.listener.close()


def test_the_postgres_client_refuses_an_untrusted_server_certificate(make_server, tmp_path):
    """V12.3.2: with sslmode=verify-full or verify-ca the database client checks the server's
    certificate in the handshake and, for one from an unknown CA, sends nothing: no
    StartupMessage (which carries the user name) ever reaches the server. With sslmode=disable
    the same fake server does receive a plaintext StartupMessage, so the test would see a client
    that skipped the check. (require and prefer check no certificate unless sslrootcert is
    given, as libpq: test_postgres_tls.py.)"""
    fake = FakePostgres(CA("Untrusted database CA"), tmp_path)
    srv = make_server(start=False)
    try:
        for mode in ("verify-full", "verify-ca", "disable"):
            fake.events.clear()
            url = f"postgres://conclave:secret-pw@127.0.0.1:{fake.port}/conclave?sslmode={mode}"
            proc = subprocess.Popen([CONCLAVE_BIN, "migrate"], env=srv.env({"CONCLAVE_DATABASE_URL": url}), cwd=srv.root,
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                deadline = time.monotonic() + 20
                decisive = ("plaintext startup",) if mode == "disable" else ("handshake refused", "handshake completed")
                while time.monotonic() < deadline and not any(e.startswith(decisive) for e in fake.events):
                    time.sleep(0.05)
                time.sleep(1)  # anything the client would send after the decisive moment
                assert proc.poll() != 0, f"sslmode={mode}: migrate succeeded against a fake server"
            finally:
                if proc.poll() is None:
                    proc.kill()
                proc.wait(timeout=10)
            events = list(fake.events)
            if mode == "disable":
                assert "plaintext startup" in events, events
                continue
            assert "ssl request" in events and any(e.startswith("handshake refused") for e in events), f"sslmode={mode}: {events}"
            assert "handshake completed" not in events and "startup over tls" not in events, f"sslmode={mode}: {events}"
            assert "plaintext startup" not in events, f"sslmode={mode}: fell back to plaintext: {events}"
    finally:
        fake.close()


def test_a_refused_database_certificate_is_logged(make_server, tmp_path):
    fake = FakePostgres(CA("Untrusted database CA"), tmp_path)
    srv = make_server(start=False)
    url = f"postgres://conclave:secret-pw@127.0.0.1:{fake.port}/conclave?sslmode=verify-full"
    proc = subprocess.Popen([CONCLAVE_BIN, "serve"], env=srv.env({"CONCLAVE_DATABASE_URL": url}), cwd=srv.root,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(5)
    finally:
        proc.kill()
        output, _ = proc.communicate(timeout=10)
        fake.close()
    assert any(e.startswith("handshake refused") for e in fake.events), fake.events
    warnings = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert any(w.get("level") in ("warning", "error", "critical") and
               any(word in json.dumps(w).lower() for word in ("tls", "certificate", "ssl")) for w in warnings), output[-2000:]


def test_an_unreachable_database_is_logged_and_sigterm_still_stops_the_server(make_server):
    """V16.3.4: while the database cannot be reached, each failed attempt is logged (without the
    connection string), and a SIGTERM during the wait stops the server promptly."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here once the probe closes
    srv = make_server(start=False)
    url = f"postgres://conclave:secret-pw@127.0.0.1:{port}/conclave?sslmode=disable"
    proc = subprocess.Popen([CONCLAVE_BIN, "serve"], env=srv.env({"CONCLAVE_DATABASE_URL": url}), cwd=srv.root,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(3)
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    warnings = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert any(w.get("msg") == "database not reachable; retrying" for w in warnings), output[-2000:]
    assert "secret-pw" not in output
    assert "conclave listening" not in output
