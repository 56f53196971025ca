"""Regression tests for what the independent scanners of scripts/verify found (schemathesis over
docs/openapi.yaml, sqlmap). Each test names the finding it pins down."""

from __future__ import annotations

import base64
import time

import pyotp
import pytest

from conftest import assert_problem
from helpers_agents import create_agent_ok, create_key
from helpers_identity import API, create_invite_ok, field_errors, login, me, signup_via_invite
from helpers_messaging import Stream, ws_connect


@pytest.fixture(scope="module")
def person(server, owner):
    """A fresh member of the owner's workspace (own password, own session)."""
    with server.client() as c:
        invite = create_invite_ok(c, owner["headers"], owner["workspace_id"], "member")
        return signup_via_invite(c, invite["token"], "regress")


# --------------------------------------------------------------------------------------
# schemathesis ST201: POST .../keys accepted `expires_at: "7102-06-31T20:58:03.7-17:26"`
# (31 June) and stored 2 July: Foundation's ISO 8601 parser rolls impossible dates over.
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("expires_at", [
    "2999-06-31T00:00:00Z",          # June has 30 days
    "2999-02-29T00:00:00Z",          # not a leap year
    "2999-13-01T00:00:00Z",
    "2999-01-01T24:00:00Z",
    "2999-01-01T23:60:00Z",
    "2999-01-01T23:59:60Z",          # no leap seconds (the schema's pattern allows 00-59)
    "2999-01-01t00:00:00z",          # upper-case T and Z only
    "2999-01-01T00:00:00",           # an offset is required
    "2999-01-01T00:00:00+24:00",
    "2999-01-01T00:00:00.1234567890Z",
    "2999-01-01 00:00:00Z",
    "2999-1-01T00:00:00Z",
    "+2999-01-01T00:00:00Z",
])
def test_key_expiry_must_be_a_real_rfc3339_instant(server, owner, client, expires_at):
    agent = create_agent_ok(client, owner["headers"], owner["workspace_id"], name="Expiry Bot")
    r = create_key(client, owner["headers"], owner["workspace_id"], agent["id"], ["messages:read"],
                   expires_at=expires_at)
    body = assert_problem(r, 422)
    assert field_errors(body) == ["expires_at"], body


@pytest.mark.parametrize("expires_at, stored", [
    ("2996-02-29T12:00:00Z", "2996-02-29T12:00:00.000Z"),                  # a leap day
    ("2999-06-30T20:58:03.7-17:26", "2999-07-01T14:24:03.700Z"),           # offset applied
    ("2999-12-31T23:59:59.999999999+00:00", "2999-12-31T23:59:59.999Z"),   # nanoseconds truncated
])
def test_key_expiry_accepts_valid_instants_and_normalises_to_utc(server, owner, client, expires_at, stored):
    agent = create_agent_ok(client, owner["headers"], owner["workspace_id"], name="Expiry Bot")
    r = create_key(client, owner["headers"], owner["workspace_id"], agent["id"], ["messages:read"],
                   expires_at=expires_at)
    assert r.status_code == 201, f"{expires_at}: {r.status_code} {r.text}"
    assert r.json()["expires_at"] == stored


def test_key_expiry_in_the_past_is_still_a_field_error(server, owner, client):
    agent = create_agent_ok(client, owner["headers"], owner["workspace_id"], name="Expiry Bot")
    r = create_key(client, owner["headers"], owner["workspace_id"], agent["id"], ["messages:read"],
                   expires_at="2001-01-01T00:00:00Z")
    body = assert_problem(r, 422)
    assert field_errors(body) == ["expires_at"], body


# --------------------------------------------------------------------------------------
# schemathesis ST202: a wrong current password (POST /auth/password) and a wrong TOTP code
# (POST /auth/totp/confirm, DELETE /auth/totp) answered 422, "invalid request", to requests that
# are valid. They are refused proofs: 403 with the field named (not 401: the session is fine).
# --------------------------------------------------------------------------------------

def test_wrong_current_password_is_403_with_the_field_named(server, person, client):
    r = client.post(f"{API}/auth/password", headers=person["headers"],
                    json={"current_password": "Not-" + person["password"], "new_password": "Fresh-Pw-" + "x" * 20})
    body = assert_problem(r, 403)
    assert field_errors(body) == ["current_password"], body
    # The session still works and the password did not change.
    assert me(client, person["access_token"]).status_code == 200
    assert login(client, person["email"], person["password"]).status_code == 200


def _wrong_code(secret: str) -> str:
    now = int(time.time())
    valid = {pyotp.TOTP(secret).at(now + delta * 30) for delta in (-1, 0, 1)}
    return next(code for code in (f"{n:06d}" for n in range(1_000_000)) if code not in valid)


def test_totp_codes_malformed_is_422_wrong_is_403(server, person, client):
    r = client.post(f"{API}/auth/totp/enroll", headers=person["headers"])
    assert r.status_code == 200, r.text
    secret = r.json()["secret"]
    for malformed in ("", "abcdef", "12345", "1234567", "12345a"):
        r = client.post(f"{API}/auth/totp/confirm", headers=person["headers"], json={"code": malformed})
        body = assert_problem(r, 422)
        assert field_errors(body) == ["code"], f"{malformed!r}: {body}"
    r = client.post(f"{API}/auth/totp/confirm", headers=person["headers"], json={"code": _wrong_code(secret)})
    body = assert_problem(r, 403)
    assert field_errors(body) == ["code"], body

    # Spaces are ignored, as authenticator apps show "123 456".
    code = pyotp.TOTP(secret).now()
    r = client.post(f"{API}/auth/totp/confirm", headers=person["headers"], json={"code": code[:3] + " " + code[3:]})
    assert r.status_code == 200, r.text

    for wrong in (_wrong_code(secret), "abcd-efgh", ""):
        r = client.request("DELETE", f"{API}/auth/totp", headers=person["headers"], json={"code": wrong})
        body = assert_problem(r, 403)
        assert field_errors(body) == ["code"], f"{wrong!r}: {body}"
    # Still on: a password login now asks for the second factor.
    r = login(client, person["email"], person["password"])
    assert r.status_code == 200 and r.json().get("mfa_required") is True, r.text


# --------------------------------------------------------------------------------------
# schemathesis on PostgreSQL, ST101: a NUL (U+0000) in a JSON string (login `email`) was a 500:
# PostgreSQL text cannot hold it. Now no request string may contain it (422 naming the field),
# for every route at once; a WebSocket `send` frame the same; a list cursor with one is not ours
# (400). The e2e suite runs on both backends, so this fails on PostgreSQL if it comes back.
# --------------------------------------------------------------------------------------

NUL = "a\u0000b"


def test_nul_character_is_a_field_error_everywhere(server, owner, client):
    h, ws = owner["headers"], owner["workspace_id"]
    channel = client.post(f"{API}/workspaces/{ws}/channels", json={"name": "nul-regress"}, headers=h).json()["id"]
    invite = create_invite_ok(client, h, ws, "member")
    cases = [
        ("POST", "/auth/login", None, {"email": NUL, "password": "x"}, "email"),
        ("POST", "/auth/login", None, {"email": "owner@example.com", "password": NUL}, "password"),
        ("POST", "/auth/refresh", None, {"refresh_token": NUL}, "refresh_token"),
        ("POST", "/auth/webauthn/login/options", None, {"email": NUL}, "email"),
        ("POST", f"/invites/{invite['token']}/accept", None, {"email": "x\u0000@example.com", "password": "Pw-" + "z" * 20}, "email"),
        ("PATCH", f"/channels/{channel}", h, {"topic": NUL}, "topic"),
        ("POST", f"/channels/{channel}/messages", h, {"text": NUL}, "text"),
        ("POST", f"/channels/{channel}/messages", h, {"text": "x", "client_msg_id": NUL}, "client_msg_id"),
        ("POST", f"/channels/{channel}/messages", h, {"text": "x", "metadata": {"deep": [{"k": NUL}]}}, "metadata"),
        ("POST", f"/channels/{channel}/messages", h, {"text": "x", "metadata": {NUL: 1}}, "metadata"),
        ("POST", f"/workspaces/{ws}/agents", h, {"name": "Nul Bot", "description": NUL}, "description"),
    ]
    # Fields no route reads are refused, NUL or not (contract v1.1 strict bodies), as JSON text.
    r = client.post(f"{API}/channels/{channel}/messages", json={"text": "extra", NUL: NUL, "x": {NUL: [NUL]}}, headers=h)
    assert field_errors(assert_problem(r, 422)) == sorted([NUL, "x"]), r.text
    for method, path, headers, body, field in cases:
        r = client.request(method, API + path, json=body, headers=headers)
        problem = assert_problem(r, 422)
        assert field_errors(problem) == [field], f"{method} {path} {body!r}: {problem}"
    for name in ("action", "actor"):
        r = client.get(f"{API}/workspaces/{ws}/audit", params={name: NUL}, headers=h)
        problem = assert_problem(r, 422)
        assert field_errors(problem) == [name], problem
    cursor = base64.urlsafe_b64encode(b"ch_\x00").decode().rstrip("=")
    assert_problem(client.get(f"{API}/workspaces/{ws}/channels", params={"cursor": cursor}, headers=h), 400)
    # Nothing was posted.
    messages = client.get(f"{API}/channels/{channel}/messages", headers=h).json()["data"]
    assert messages == [], messages


def test_websocket_send_with_nul_is_a_field_error(server, owner, client):
    h, ws = owner["headers"], owner["workspace_id"]
    channel = client.post(f"{API}/workspaces/{ws}/channels", json={"name": "nul-ws"}, headers=h).json()["id"]
    with ws_connect(server) as conn:
        stream = Stream(conn)
        stream.send({"type": "auth", "token": owner["access_token"]})
        assert stream.recv()["type"] == "ready"
        for frame, field in (({"text": NUL, "client_msg_id": "n1"}, "text"),
                             ({"text": "ok", "client_msg_id": NUL}, "client_msg_id"),
                             ({"text": "ok", "client_msg_id": "n3", "metadata": {NUL: 1}}, "metadata")):
            stream.send({"type": "send", "channel_id": channel, **frame})
            answer = stream.collect_until(lambda f: f.get("type") in ("ack", "error"), what="ack or error")[-1]
            assert answer["type"] == "error" and answer["status"] == 422, answer
            assert [e["field"] for e in answer.get("errors", [])] == [field], answer
    assert client.get(f"{API}/channels/{channel}/messages", headers=h).json()["data"] == []
