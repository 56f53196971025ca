"""Helpers for the identity end-to-end tests (test_identity.py): people, tokens, forged JWTs.

Everything here talks to the server only over HTTP (httpx) or through its data dir, like an
outside client or an attacker who stole a file would.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from pathlib import Path

import httpx
import jwt

from conftest import Server, assert_problem, strong_password

API = "/api/v1"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def unique_email(tag: str = "user") -> str:
    return f"{tag}-{secrets.token_hex(5)}@example.com"


def login(c: httpx.Client, email: str, password: str, **kwargs) -> httpx.Response:
    return c.post(f"{API}/auth/login", json={"email": email, "password": password}, **kwargs)


def login_ok(c: httpx.Client, email: str, password: str) -> dict:
    r = login(c, email, password)
    assert r.status_code == 200, f"login {email}: {r.status_code} {r.text}"
    body = r.json()
    for key in ("access_token", "refresh_token", "session_id"):
        assert body.get(key), f"login response lacks {key}: {body}"
    assert body.get("token_type") == "Bearer", body
    body["headers"] = bearer(body["access_token"])
    return body


def me(c: httpx.Client, token: str) -> httpx.Response:
    return c.get(f"{API}/me", headers=bearer(token))


def assert_unauthorized(resp: httpx.Response, what: str = "") -> dict:
    """401, a problem document, and a `WWW-Authenticate: Bearer ...` challenge."""
    assert resp.status_code == 401, \
        f"{what}: expected 401, got {resp.status_code}: {resp.text[:300]}"
    body = assert_problem(resp, 401)
    challenge = resp.headers.get("www-authenticate", "")
    assert challenge.split(" ", 1)[0].lower() == "bearer", \
        f"{what}: 401 without a Bearer challenge (WWW-Authenticate={challenge!r})"
    return body


def field_errors(body: dict) -> list[str]:
    return [e.get("field") for e in body.get("errors") or [] if isinstance(e, dict)]


# --------------------------------------------------------------------------------------
# Workspaces and invites
# --------------------------------------------------------------------------------------

def create_workspace(c: httpx.Client, headers: dict, name: str) -> dict:
    r = c.post(f"{API}/workspaces", json={"name": name}, headers=headers)
    assert r.status_code == 201, f"create workspace: {r.status_code} {r.text}"
    return r.json()


def create_invite(c: httpx.Client, headers: dict, ws: str, role: str = "member", **extra) -> httpx.Response:
    return c.post(f"{API}/workspaces/{ws}/invites", json={"role": role, **extra}, headers=headers)


def create_invite_ok(c: httpx.Client, headers: dict, ws: str, role: str = "member", **extra) -> dict:
    r = create_invite(c, headers, ws, role, **extra)
    assert r.status_code == 201, f"create {role} invite: {r.status_code} {r.text}"
    body = r.json()
    assert body.get("token") and body.get("id", "").startswith("inv_"), body
    return body


def accept_signup(c: httpx.Client, token: str, email: str, password: str, name: str | None = None) -> httpx.Response:
    payload = {"email": email, "password": password}
    if name is not None:
        payload["name"] = name
    return c.post(f"{API}/invites/{token}/accept", json=payload)


def signup_via_invite(c: httpx.Client, invite_token: str, tag: str = "user", name: str | None = None) -> dict:
    """A new person accepts an invite by signing up. Returns email, password, user_id, tokens, headers."""
    email = unique_email(tag)
    password = strong_password()
    r = accept_signup(c, invite_token, email, password, name or f"Person {tag.title()}")
    assert r.status_code == 201, f"accept invite by signing up: {r.status_code} {r.text}"
    body = r.json()
    assert body.get("user_id", "").startswith("usr_"), body
    assert body.get("access_token") and body.get("refresh_token"), body
    body.update(email=email, password=password, headers=bearer(body["access_token"]))
    return body


def members(c: httpx.Client, headers: dict, ws: str) -> dict[str, str]:
    """{principal id: role} of a workspace, as its member sees it."""
    r = c.get(f"{API}/workspaces/{ws}/members", headers=headers, params={"limit": 200})
    assert r.status_code == 200, f"members of {ws}: {r.status_code} {r.text}"
    return {m["id"]: m["role"] for m in r.json()["data"]}


# --------------------------------------------------------------------------------------
# Recent sign-in (adding a sign-in factor needs one)
# --------------------------------------------------------------------------------------

REAUTHENTICATION_REQUIRED = "reauthentication_required"


def age_sign_in(srv: Server, session_id: str, minutes: int = 11) -> None:
    """Moves a session's sign-in `minutes` into the past, as an attacker holding a stolen access
    token of a session signed into earlier would have it (a test cannot wait ten minutes)."""
    shift = minutes * 60 * 1000
    srv.sql(f"UPDATE sessions SET created_at = created_at - {shift} WHERE id = '{session_id}'")
    # The sign-in proof time (absent before it existed: the assertions that follow then fail).
    srv.sql(f"UPDATE sessions SET authenticated_at = authenticated_at - {shift} WHERE id = '{session_id}'", check=False)


def assert_reauthentication_required(resp: httpx.Response, what: str) -> dict:
    """403 whose problem type ends in `reauthentication_required`."""
    assert resp.status_code == 403, f"{what}: expected 403 reauthentication_required, got {resp.status_code}: {resp.text[:300]}"
    body = assert_problem(resp, 403)
    assert body["type"].endswith(REAUTHENTICATION_REQUIRED), f"{what}: problem type {body['type']!r}"
    return body


def failed_logins(srv: Server, user_id: str) -> int:
    """The account's count of failures towards the lockout."""
    return int(srv.sql_rows(f"SELECT failed_logins FROM users WHERE id = '{user_id}'")[0][0])


# --------------------------------------------------------------------------------------
# JWTs
# --------------------------------------------------------------------------------------

def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_json(obj) -> str:
    return b64url(json.dumps(obj, separators=(",", ":")).encode())


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hand_built(header: dict, claims: dict, signature: bytes | str = b"") -> str:
    sig = signature if isinstance(signature, str) else b64url(signature)
    return f"{b64url_json(header)}.{b64url_json(claims)}.{sig}"


def hmac_sign(header: dict, claims: dict, key: bytes, digest=hashlib.sha256) -> str:
    signing_input = f"{b64url_json(header)}.{b64url_json(claims)}"
    sig = hmac.new(key, signing_input.encode("ascii"), digest).digest()
    return f"{signing_input}.{b64url(sig)}"


def read_jwt_secret(srv: Server) -> bytes:
    """The raw bytes of <data_dir>/jwt-secret are the HMAC key."""
    path = Path(srv.data_dir) / "jwt-secret"
    data = path.read_bytes()
    assert data, f"{path} is empty"
    return data


def fresh_claims(template: dict, **changes) -> dict:
    """Claims like the server's, with a fresh iat/exp/jti, then `changes` (None removes a claim)."""
    now = int(time.time())
    claims = dict(template, iat=now, exp=now + 900, jti=b64url(secrets.token_bytes(16)))
    for k, v in changes.items():
        if v is None:
            claims.pop(k, None)
        else:
            claims[k] = v
    return claims


def sign(claims: dict, key: bytes, kid: str | None, algorithm: str = "HS256") -> str:
    headers = {"typ": "JWT"}
    if kid is not None:
        headers["kid"] = kid
    return jwt.encode(claims, key, algorithm=algorithm, headers=headers)


# --------------------------------------------------------------------------------------
# Data at rest
# --------------------------------------------------------------------------------------

def find_secrets_in_dir(directory: Path, needles: dict[str, str]) -> list[str]:
    """Every (file, label) where the UTF-8 bytes of a needle occur in a file under `directory`
    (binary-safe: SQLite pages, WAL, anything)."""
    hits = []
    encoded = {label: value.encode("utf-8") for label, value in needles.items() if value}
    for path in sorted(Path(directory).rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        for label, needle in encoded.items():
            if needle in data:
                hits.append(f"{path.relative_to(directory)}: {label}")
    return hits
