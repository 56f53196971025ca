"""Identity end to end: access tokens (and forgeries of them), refresh rotation with reuse
detection, logout, sessions, password change, account lockout, workspaces, roles and invites,
and what is left on disk afterwards.

Every check goes over real HTTP with independent clients (httpx, PyJWT); the only back doors
used are the ones an attacker or an operator has: the data dir (the JWT secret file, the SQLite
file) and the `conclave` CLI.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx

import jwt
import pytest

from conftest import (BACKEND, assert_problem, create_owner, running_server, strip_per_request,
                      strong_password)
from helpers_identity import (API, accept_signup, assert_unauthorized, b64url_json,
                              bearer, create_invite, create_invite_ok, create_workspace,
                              field_errors, find_secrets_in_dir, fresh_claims, hand_built,
                              hmac_sign, login, login_ok, me, members, read_jwt_secret, sign,
                              signup_via_invite, unique_email)

PUBLIC_URL = "http://conclave.test:8750"

# The forgeries below use HS384/HS512 with the server's (32-byte) key on purpose.
pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")

# This module's own shared server: an explicit public URL (the `iss` of every access token),
# and limits high enough that the many logins and sign-ups below never trip them (rate limiting
# itself is tested elsewhere; the account lockout is tested below on a server of its own).
IDENTITY_SERVER_ENV = {
    "CONCLAVE_PUBLIC_URL": PUBLIC_URL,
    "CONCLAVE_RATE_LIMITS": "login=1000/1m,signup=1000/1h,refresh=1000/1m,api_anonymous=1000/1m,auth_failures=100000/1m",
}

# Every password, refresh token and invite token used on the shared server, checked against
# the data dir by the last test of the module.
SECRETS: dict[str, str] = {}


def remember(label: str, value: str | None) -> None:
    if value:
        SECRETS[f"{label} #{len(SECRETS)}"] = value


def remember_person(person: dict) -> dict:
    remember("password", person.get("password"))
    remember("refresh token", person.get("refresh_token"))
    return person


@pytest.fixture(scope="module")
def server(conclave_bin):
    """Overrides conftest's shared server for this module only (see IDENTITY_SERVER_ENV)."""
    yield from running_server(IDENTITY_SERVER_ENV)


@pytest.fixture(scope="module")
def boss(server, owner) -> dict:
    """conftest's owner, with its secrets remembered."""
    return remember_person(owner)


@pytest.fixture(scope="module")
def new_person(server, boss):
    """Factory: a new person who signed up through a member invite to the owner's workspace."""
    def make(tag: str = "user") -> dict:
        with server.client() as c:
            invite = create_invite_ok(c, boss["headers"], boss["workspace_id"], "member")
            remember("invite token", invite["token"])
            return remember_person(signup_via_invite(c, invite["token"], tag))
    return make


# ======================================================================================
# Access tokens: forgeries are refused, a correctly made token is accepted
# ======================================================================================

@pytest.fixture(scope="module")
def jwt_ctx(server, new_person) -> dict:
    victim = new_person("victim")
    other = new_person("other")
    token = victim["access_token"]
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert header.get("alg") == "HS256" and header.get("kid"), header
    assert claims.get("iss") == PUBLIC_URL, f"iss {claims.get('iss')!r} is not CONCLAVE_PUBLIC_URL {PUBLIC_URL!r}"
    assert claims.get("aud") in ("conclave-api", ["conclave-api"]), claims
    assert claims.get("typ") == "access" and claims.get("sub") == victim["user_id"], claims
    assert claims.get("sid") == victim["session_id"], claims
    return {"victim": victim, "other": other, "token": token, "header": header, "claims": claims,
            "kid": header["kid"], "secret": read_jwt_secret(server)}


def _tamper_payload(ctx: dict, **changes) -> str:
    """The victim's genuine token with its payload edited and its original signature kept."""
    head, _payload, sig = ctx["token"].split(".")
    claims = dict(ctx["claims"], **changes)
    return f"{head}.{b64url_json(claims)}.{sig}"


def _rs256_confusion(ctx: dict) -> str:
    """alg RS256 in the header, HMAC-SHA256 signature made with the server's secret."""
    header = {"alg": "RS256", "typ": "JWT", "kid": ctx["kid"]}
    return hmac_sign(header, fresh_claims(ctx["claims"]), ctx["secret"])


FORGERIES = {
    # alg none, as PyJWT makes it (empty signature) and hand-built variants
    "alg_none_pyjwt": lambda x: jwt.encode(fresh_claims(x["claims"]), None, algorithm="none",
                                           headers={"kid": x["kid"]}),
    "alg_none_hand_built": lambda x: hand_built({"alg": "none", "typ": "JWT", "kid": x["kid"]},
                                                fresh_claims(x["claims"])),
    "alg_None_with_real_signature": lambda x: (
        b64url_json({"alg": "None", "typ": "JWT", "kid": x["kid"]}) + "." + x["token"].split(".", 1)[1]),
    # wrong key, same kid
    "hs256_wrong_key": lambda x: sign(fresh_claims(x["claims"]), secrets.token_bytes(32), x["kid"]),
    # genuine signature, edited payload
    "tampered_sub": lambda x: _tamper_payload(x, sub=x["other"]["user_id"]),
    "tampered_exp": lambda x: _tamper_payload(x, exp=x["claims"]["exp"] + 86400),
    # real key, bad claims
    "expired": lambda x: sign(fresh_claims(x["claims"], iat=int(time.time()) - 3600,
                                           exp=int(time.time()) - 120), x["secret"], x["kid"]),
    "issued_in_the_future": lambda x: sign(fresh_claims(x["claims"], iat=int(time.time()) + 3600,
                                                        exp=int(time.time()) + 4500), x["secret"], x["kid"]),
    "no_exp": lambda x: sign(fresh_claims(x["claims"], exp=None), x["secret"], x["kid"]),
    "wrong_audience": lambda x: sign(fresh_claims(x["claims"], aud="conclave-admin"), x["secret"], x["kid"]),
    "no_audience": lambda x: sign(fresh_claims(x["claims"], aud=None), x["secret"], x["kid"]),
    "wrong_issuer": lambda x: sign(fresh_claims(x["claims"], iss="http://evil.test:8750"), x["secret"], x["kid"]),
    "typ_refresh": lambda x: sign(fresh_claims(x["claims"], typ="refresh"), x["secret"], x["kid"]),
    "typ_missing": lambda x: sign(fresh_claims(x["claims"], typ=None), x["secret"], x["kid"]),
    # real key, bad header
    "unknown_kid": lambda x: sign(fresh_claims(x["claims"]), x["secret"], "k000000000000"),
    "no_kid": lambda x: sign(fresh_claims(x["claims"]), x["secret"], None),
    "hs512_real_key": lambda x: sign(fresh_claims(x["claims"]), x["secret"], x["kid"], algorithm="HS512"),
    "hs384_real_key": lambda x: sign(fresh_claims(x["claims"]), x["secret"], x["kid"], algorithm="HS384"),
    "rs256_header_hmac_signature": _rs256_confusion,
    # real key, a session that is not the subject's / does not exist
    "sub_of_other_user_with_victims_sid": lambda x: sign(
        fresh_claims(x["claims"], sub=x["other"]["user_id"]), x["secret"], x["kid"]),
    "unknown_session": lambda x: sign(
        fresh_claims(x["claims"], sid="ses_" + secrets.token_hex(10)), x["secret"], x["kid"]),
}


@pytest.mark.parametrize("case", list(FORGERIES))
def test_forged_access_token_is_401(server, jwt_ctx, client, case):
    forged = FORGERIES[case](jwt_ctx)
    assert forged != jwt_ctx["token"]
    r = client.get(f"{API}/me", headers=bearer(forged))
    assert_unauthorized(r, f"GET /me with forged token ({case})")
    r = client.get(f"{API}/workspaces", headers=bearer(forged))
    assert_unauthorized(r, f"GET /workspaces with forged token ({case})")


def test_token_signed_by_test_with_real_secret_is_accepted(server, jwt_ctx, client):
    """Control for the forgeries above: the same machinery, done right, is accepted."""
    x = jwt_ctx
    token = sign(fresh_claims(x["claims"]), x["secret"], x["kid"])
    r = client.get(f"{API}/me", headers=bearer(token))
    assert r.status_code == 200, f"a correctly signed token was refused: {r.status_code} {r.text}"
    assert r.json()["id"] == x["victim"]["user_id"], r.json()
    # and the server's own token is accepted too
    assert me(client, x["token"]).status_code == 200


# ======================================================================================
# Refresh rotation, reuse detection, logout, sessions
# ======================================================================================

def test_refresh_rotates_and_reuse_revokes_the_session(server, new_person, client):
    p = new_person("refresher")
    first = login_ok(client, p["email"], p["password"])
    remember("refresh token", first["refresh_token"])

    r = client.post(f"{API}/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert r.status_code == 200, f"refresh: {r.status_code} {r.text}"
    second = r.json()
    remember("refresh token", second.get("refresh_token"))
    assert second["refresh_token"] != first["refresh_token"], "refresh did not rotate the refresh token"
    assert second["access_token"] != first["access_token"]
    assert second["session_id"] == first["session_id"], "refresh started a new session"
    assert second.get("token_type") == "Bearer" and second.get("expires_in") == 900, second
    assert me(client, second["access_token"]).status_code == 200, "the new access token does not work"

    # The spent refresh token comes back: reuse detected -> 401, and the whole session ends.
    r = client.post(f"{API}/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert_unauthorized(r, "reusing a spent refresh token")
    assert_unauthorized(me(client, second["access_token"]),
                        "GET /me with the session's live access token after refresh-token reuse")
    assert_unauthorized(me(client, first["access_token"]),
                        "GET /me with the session's first access token after refresh-token reuse")
    r = client.post(f"{API}/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert_unauthorized(r, "refreshing with the newest refresh token of a session revoked for reuse")

    # Other sessions of the same person are not affected.
    assert me(client, p["access_token"]).status_code == 200


def test_refresh_with_garbage_is_401(server, client):
    for token in ("crt_" + secrets.token_urlsafe(32), "", "x" * 600):
        r = client.post(f"{API}/auth/refresh", json={"refresh_token": token})
        assert_unauthorized(r, f"refresh with {token[:12]!r}…")


def test_concurrent_refresh_with_one_token_spends_it_once(server, new_person):
    """Five clients race with the same refresh token: at most one gets a pair, and since the
    others presented a spent token the session ends (no double-spend, no fork of the session)."""
    p = new_person("racer")
    with server.client() as c:
        s = login_ok(c, p["email"], p["password"])
    remember("refresh token", s["refresh_token"])
    barrier = threading.Barrier(5)

    def attempt(_):
        with server.client() as c:
            barrier.wait(timeout=10)
            return c.post(f"{API}/auth/refresh", json={"refresh_token": s["refresh_token"]})

    with ThreadPoolExecutor(max_workers=5) as pool:
        results = list(pool.map(attempt, range(5)))
    winners = [r for r in results if r.status_code == 200]
    for r in results:
        assert r.status_code in (200, 401), f"concurrent refresh: {r.status_code} {r.text}"
        if r.status_code == 200:
            remember("refresh token", r.json().get("refresh_token"))
    assert len(winners) <= 1, f"{len(winners)} concurrent refreshes of one token succeeded"
    with server.client() as c:
        for w in winners:
            assert_unauthorized(me(c, w.json()["access_token"]),
                                "the winner's access token after the same refresh token was presented again")
        assert_unauthorized(me(c, s["access_token"]), "the session's access token after refresh-token reuse")


def test_logout_revokes_the_access_token_at_once(server, new_person, client):
    p = new_person("leaver")
    s = login_ok(client, p["email"], p["password"])
    remember("refresh token", s["refresh_token"])
    assert me(client, s["access_token"]).status_code == 200
    r = client.post(f"{API}/auth/logout", headers=s["headers"])
    assert r.status_code in (200, 204), f"logout: {r.status_code} {r.text}"
    assert_unauthorized(me(client, s["access_token"]), "GET /me with the access token of a logged-out session")
    r = client.post(f"{API}/auth/refresh", json={"refresh_token": s["refresh_token"]})
    assert_unauthorized(r, "refresh with the refresh token of a logged-out session")
    # Only that session ended.
    assert me(client, p["access_token"]).status_code == 200


def test_session_list_and_revoke(server, new_person, client):
    p = new_person("sessions")
    q = new_person("stranger")
    one = login_ok(client, p["email"], p["password"])
    two = login_ok(client, p["email"], p["password"])
    for s in (one, two):
        remember("refresh token", s["refresh_token"])

    r = client.get(f"{API}/auth/sessions", headers=one["headers"])
    assert r.status_code == 200, r.text
    listed = {s["id"]: s for s in r.json()["data"]}
    assert {one["session_id"], two["session_id"], p["session_id"]} <= set(listed), listed
    assert listed[one["session_id"]]["current"] is True and listed[two["session_id"]]["current"] is False, listed
    assert q["session_id"] not in listed, "another person's session is listed"
    assert "refresh_token" not in r.text and one["refresh_token"] not in r.text

    # Revoke session two from session one: two's token stops working at once.
    r = client.delete(f"{API}/auth/sessions/{two['session_id']}", headers=one["headers"])
    assert r.status_code == 204, f"DELETE own session: {r.status_code} {r.text}"
    assert_unauthorized(me(client, two["access_token"]), "GET /me with a revoked session's token")
    r = client.post(f"{API}/auth/refresh", json={"refresh_token": two["refresh_token"]})
    assert_unauthorized(r, "refresh of a revoked session")
    assert me(client, one["access_token"]).status_code == 200
    r = client.get(f"{API}/auth/sessions", headers=one["headers"])
    assert two["session_id"] not in {s["id"] for s in r.json()["data"]}, "a revoked session is still listed"

    # Another person's session id: 404, and their session survives.
    r = client.delete(f"{API}/auth/sessions/{q['session_id']}", headers=one["headers"])
    assert_problem(r, 404)
    assert me(client, q["access_token"]).status_code == 200, "DELETE of another person's session id revoked it"
    # Unknown but well-formed -> 404 with the same body; malformed -> 400.
    r2 = client.delete(f"{API}/auth/sessions/ses_{secrets.token_hex(10)}", headers=one["headers"])
    assert strip_per_request(assert_problem(r2, 404)) == strip_per_request(r.json())
    assert_problem(client.delete(f"{API}/auth/sessions/not-a-session", headers=one["headers"]), 400)
    # Already revoked -> 404
    assert_problem(client.delete(f"{API}/auth/sessions/{two['session_id']}", headers=one["headers"]), 404)


# ======================================================================================
# Password change
# ======================================================================================

def test_password_change_refuses_weak_password_and_wrong_current(server, new_person, client):
    p = new_person("weakling")
    other = login_ok(client, p["email"], p["password"])
    remember("refresh token", other["refresh_token"])

    for weak in ("password123", "Password123", "short"):
        r = client.post(f"{API}/auth/password", headers=p["headers"],
                        json={"current_password": p["password"], "new_password": weak})
        body = assert_problem(r, 422)
        assert "new_password" in field_errors(body), f"new password {weak!r}: no new_password field error: {body}"
        assert weak not in r.text, "the refused password is echoed back"

    wrong = "Wrong-" + strong_password()
    remember("password", wrong)
    new = strong_password()
    remember("password", new)
    r = client.post(f"{API}/auth/password", headers=p["headers"],
                    json={"current_password": wrong, "new_password": new})
    # A wrong proof is a refusal (403) naming the field, not a validation error.
    body = assert_problem(r, 403)
    assert "current_password" in field_errors(body), body

    # Nothing changed: the old password still logs in and the other session still works.
    assert me(client, other["access_token"]).status_code == 200, "a refused password change revoked sessions"
    assert login(client, p["email"], new).status_code == 401
    remember("refresh token", login_ok(client, p["email"], p["password"])["refresh_token"])


def test_password_change_revokes_every_other_session(server, new_person, client):
    p = new_person("changer")
    current = login_ok(client, p["email"], p["password"])
    others = [p, login_ok(client, p["email"], p["password"]), login_ok(client, p["email"], p["password"])]
    for s in (current, *others):
        remember("refresh token", s["refresh_token"])
    new = strong_password()
    remember("password", new)

    r = client.post(f"{API}/auth/password", headers=current["headers"],
                    json={"current_password": p["password"], "new_password": new})
    assert r.status_code in (200, 204), f"password change: {r.status_code} {r.text}"
    for i, s in enumerate(others):
        assert_unauthorized(me(client, s["access_token"]), f"GET /me with other session #{i} after password change")
        r2 = client.post(f"{API}/auth/refresh", json={"refresh_token": s["refresh_token"]})
        assert_unauthorized(r2, f"refresh of other session #{i} after password change")
    assert me(client, current["access_token"]).status_code == 200, "the session that changed the password was revoked"
    r = client.post(f"{API}/auth/refresh", json={"refresh_token": current["refresh_token"]})
    assert r.status_code == 200, f"the current session cannot refresh after the change: {r.status_code} {r.text}"
    remember("refresh token", r.json().get("refresh_token"))

    assert_unauthorized(login(client, p["email"], p["password"]), "login with the old password")
    remember("refresh token", login_ok(client, p["email"], new)["refresh_token"])


# ======================================================================================
# Login: lockout across IPs, no account enumeration
# ======================================================================================

def test_account_lockout_holds_across_client_ips(make_server):
    srv = make_server(env={"CONCLAVE_TRUSTED_PROXIES": "127.0.0.1/32",
                           "CONCLAVE_RATE_LIMITS": "login=1000/1m"})
    victim = create_owner(srv, "locked@example.com", "Lockshop")
    bystander = create_owner(srv, "bystander@example.com", "Nearby")
    with srv.client() as c:
        wrong_ips = [f"198.51.100.{i}" for i in range(1, 11)]
        wrong_bodies = []
        for ip in wrong_ips:
            r = login(c, victim["email"], "Wrong-" + strong_password(), headers={"X-Forwarded-For": ip})
            wrong_bodies.append(strip_per_request(assert_unauthorized(r, f"wrong password from {ip}")))
        # Nine failures do not lock an account (the limit is ten).
        for i in range(9):
            r = login(c, bystander["email"], "Wrong-" + strong_password(), headers={"X-Forwarded-For": f"203.0.113.{i + 1}"})
            assert r.status_code == 401
        r = login(c, bystander["email"], bystander["password"], headers={"X-Forwarded-For": "203.0.113.99"})
        assert r.status_code == 200, f"an account with 9 failures is locked: {r.status_code} {r.text}"

        # The right password, from an address never seen before: still refused, and the answer
        # looks exactly like a wrong password (the lock is not an oracle).
        r = login(c, victim["email"], victim["password"], headers={"X-Forwarded-For": "192.0.2.77"})
        locked = strip_per_request(assert_unauthorized(r, "correct password after 10 failures from 10 IPs"))
        assert locked == wrong_bodies[0], f"locked answer {locked} differs from wrong-password answer {wrong_bodies[0]}"
        # The lock is per account: the existing session still works, the bystander still logs in.
        assert me(c, victim["access_token"]).status_code == 200
        assert login(c, bystander["email"], bystander["password"]).status_code == 200

    proc = srv.run_cli(["audit", "verify"])
    assert proc.returncode == 0, f"audit verify exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    rows = srv.sql_rows(f"SELECT action, COALESCE(target, ''), COALESCE(actor_ip, '') FROM audit_log "
                        f"WHERE target = '{victim['user_id']}' ORDER BY chain, seq")
    actions = [r[0] for r in rows]
    assert "auth.account.locked" in actions, f"no auth.account.locked entry for the victim: {actions}"
    failed_ips = {r[2] for r in rows if r[0] == "auth.login.failed"}
    assert set(wrong_ips) <= failed_ips, \
        f"X-Forwarded-For from a trusted proxy was not used as the client IP: failures logged from {failed_ips}"
    bystander_locks = srv.sql_rows(f"SELECT COUNT(*) FROM audit_log WHERE action = 'auth.account.locked' "
                                   f"AND target = '{bystander['user_id']}'")
    assert bystander_locks[0][0] == "0", "the bystander was locked after 9 failures"


def test_unknown_email_and_wrong_password_answer_alike(server, boss, client):
    wrong = "Wrong-" + strong_password()
    remember("password", wrong)
    unknown = login(client, unique_email("nobody"), wrong)
    bad = login(client, boss["email"], wrong)
    b1 = assert_unauthorized(unknown, "login with an unknown email")
    b2 = assert_unauthorized(bad, "login with a wrong password")
    assert unknown.status_code == bad.status_code
    assert strip_per_request(b1) == strip_per_request(b2), f"unknown email {b1} vs wrong password {b2}"
    assert unknown.headers.get("www-authenticate") == bad.headers.get("www-authenticate")
    # Case-variant of a real email with a wrong password: same answer again.
    b3 = assert_unauthorized(login(client, boss["email"].upper(), wrong), "upper-case email, wrong password")
    assert strip_per_request(b3) == strip_per_request(b1)
    # And the owner can still log in (a failure or two do not lock).
    remember("refresh token", login_ok(client, boss["email"], boss["password"])["refresh_token"])


# ======================================================================================
# Workspaces
# ======================================================================================

def test_create_workspace_makes_the_caller_owner(server, new_person, client):
    p = new_person("founder")
    ws = create_workspace(client, p["headers"], "Rocket Lab")
    assert ws["id"].startswith("ws_") and ws["role"] == "owner" and ws["name"] == "Rocket Lab", ws
    r = client.get(f"{API}/workspaces", headers=p["headers"])
    assert r.status_code == 200
    assert {"id": ws["id"], "role": "owner"}.items() <= next(w for w in r.json()["data"] if w["id"] == ws["id"]).items()
    mine = {w["id"]: w["role"] for w in me(client, p["access_token"]).json()["workspaces"]}
    assert mine.get(ws["id"]) == "owner", mine
    assert members(client, p["headers"], ws["id"]) == {p["user_id"]: "owner"}
    assert_unauthorized(client.post(f"{API}/workspaces", json={"name": "Anon"}), "create workspace without a token")
    body = assert_problem(client.post(f"{API}/workspaces", json={"name": ""}, headers=p["headers"]), 422)
    assert "name" in field_errors(body), body


def test_another_users_workspace_is_404(server, boss, new_person, client):
    p = new_person("private")
    ws = create_workspace(client, p["headers"], "Private Corner")["id"]
    ghost = "ws_" + secrets.token_hex(10)
    h = boss["headers"]  # a real, authenticated person who is not a member
    attempts = {
        "GET ws": lambda w: client.get(f"{API}/workspaces/{w}", headers=h),
        "PATCH ws": lambda w: client.patch(f"{API}/workspaces/{w}", json={"name": "pwned"}, headers=h),
        "DELETE ws": lambda w: client.delete(f"{API}/workspaces/{w}", headers=h),
        "GET members": lambda w: client.get(f"{API}/workspaces/{w}/members", headers=h),
        "PATCH member": lambda w: client.patch(f"{API}/workspaces/{w}/members/{p['user_id']}",
                                               json={"role": "viewer"}, headers=h),
        "DELETE member": lambda w: client.delete(f"{API}/workspaces/{w}/members/{p['user_id']}", headers=h),
        "GET invites": lambda w: client.get(f"{API}/workspaces/{w}/invites", headers=h),
        "POST invite": lambda w: client.post(f"{API}/workspaces/{w}/invites", json={"role": "admin"}, headers=h),
    }
    for name, call in attempts.items():
        theirs = call(ws)
        body = assert_problem(theirs, 404)
        nothing = call(ghost)
        assert strip_per_request(assert_problem(nothing, 404)) == strip_per_request(body), \
            f"{name}: another's workspace and a missing one answer differently"
    # Nothing changed.
    r = client.get(f"{API}/workspaces/{ws}", headers=p["headers"])
    assert r.status_code == 200 and r.json()["name"] == "Private Corner", r.text
    assert members(client, p["headers"], ws) == {p["user_id"]: "owner"}


def test_workspace_path_ids_are_checked(server, boss, client):
    h = boss["headers"]
    ws = boss["workspace_id"]
    for method in ("GET", "PATCH", "DELETE"):
        r = client.request(method, f"{API}/workspaces/not-an-id", headers=h,
                           json={"name": "x"} if method == "PATCH" else None)
        assert_problem(r, 400)
    assert_problem(client.get(f"{API}/workspaces/not-an-id/members", headers=h), 400)
    # Well-formed ids of another kind in the ws slot: 404 (the caller's own user id too).
    assert_problem(client.get(f"{API}/workspaces/usr_{secrets.token_hex(10)}", headers=h), 404)
    assert_problem(client.get(f"{API}/workspaces/{boss['user_id']}", headers=h), 404)
    assert_problem(client.get(f"{API}/workspaces/{boss['user_id']}/members", headers=h), 404)
    # And in the member slot.
    assert_problem(client.patch(f"{API}/workspaces/{ws}/members/not-an-id", json={"role": "viewer"}, headers=h), 400)
    assert_problem(client.patch(f"{API}/workspaces/{ws}/members/{ws}", json={"role": "viewer"}, headers=h), 404)
    # The owner is untouched.
    assert members(client, h, ws).get(boss["user_id"]) == "owner"


# ======================================================================================
# Invites and roles
# ======================================================================================

@pytest.fixture(scope="module")
def team(server, boss) -> dict:
    """A fresh workspace of the owner's, with an admin, a member and a viewer who each signed
    up through an invite of their role."""
    with server.client() as c:
        ws = create_workspace(c, boss["headers"], "Team Space")["id"]
        people = {"owner": boss}
        for role in ("admin", "member", "viewer"):
            invite = create_invite_ok(c, boss["headers"], ws, role)
            remember("invite token", invite["token"])
            assert invite["role"] == role and invite.get("url", "").endswith(invite["token"]), invite
            assert invite["url"] == f"{PUBLIC_URL}/invite#{invite['token']}", \
                f"invite url {invite['url']!r} is not CONCLAVE_PUBLIC_URL/invite#<token> (the token in the fragment)"
            email, password = unique_email(role), strong_password()
            remember("password", password)
            r = accept_signup(c, invite["token"], email, password, f"The {role.title()}")
            assert r.status_code == 201, f"sign-up through a {role} invite: {r.status_code} {r.text}"
            body = r.json()
            assert body["role"] == role and body["workspace_id"] == ws, body
            people[role] = remember_person(dict(body, email=email, password=password,
                                                headers=bearer(body["access_token"])))
        return {"ws": ws, **people}


def test_invite_signup_returns_tokens_and_joins(server, boss, client):
    invite = create_invite_ok(client, boss["headers"], boss["workspace_id"], "member", max_uses=5, expires_in=3600)
    remember("invite token", invite["token"])
    assert invite["max_uses"] == 5 and invite["uses"] == 0 and invite["revoked"] is False, invite
    email, password = unique_email("joiner"), strong_password()
    remember("password", password)
    r = accept_signup(client, invite["token"], email, password, "Jo Iner")
    assert r.status_code == 201, f"accept by signing up: {r.status_code} {r.text}"
    body = r.json()
    remember("refresh token", body.get("refresh_token"))
    assert body["workspace_id"] == boss["workspace_id"] and body["role"] == "member", body
    assert body.get("token_type") == "Bearer" and body.get("session_id", "").startswith("ses_"), body
    mine = me(client, body["access_token"]).json()
    assert mine["id"] == body["user_id"] and mine["email"] == email and mine["kind"] == "human", mine
    assert {"id": boss["workspace_id"], "role": "member"} in mine["workspaces"], mine
    assert members(client, boss["headers"], boss["workspace_id"]).get(body["user_id"]) == "member"
    remember("refresh token", login_ok(client, email, password)["refresh_token"])
    # The same email cannot sign up again, even through another use of the invite: with another
    # password the answer is a wrong login's; with its own password the person is already a member.
    assert_unauthorized(accept_signup(client, invite["token"], email, strong_password(), "Jo Again"),
                        "a second sign-up with the same email and another password")
    assert_problem(accept_signup(client, invite["token"], email, password, "Jo Again"), 409)
    # Bad sign-up bodies -> 422 with field errors (and a weak password is refused).
    r = accept_signup(client, invite["token"], "not-an-email", "password123", "X")
    body = assert_problem(r, 422)
    assert {"email", "password"} <= set(field_errors(body)), body
    # An unknown invite token -> 404.
    assert_problem(accept_signup(client, "inv_" + secrets.token_urlsafe(32), unique_email(), strong_password()), 404)


def test_member_cannot_escalate(server, team, client):
    ws, m = team["ws"], team["member"]
    before = members(client, team["owner"]["headers"], ws)
    for role in ("admin", "member", "viewer"):
        r = create_invite(client, m["headers"], ws, role)
        assert_problem(r, 403)
        assert "token" not in r.text
    for target, role in ((team["viewer"]["user_id"], "admin"), (m["user_id"], "admin"), (m["user_id"], "owner"),
                         (team["owner"]["user_id"], "member"), (team["owner"]["user_id"], "viewer"),
                         (team["admin"]["user_id"], "viewer")):
        r = client.patch(f"{API}/workspaces/{ws}/members/{target}", json={"role": role}, headers=m["headers"])
        assert_problem(r, 403)
    r = client.delete(f"{API}/workspaces/{ws}/members/{team['owner']['user_id']}", headers=m["headers"])
    assert_problem(r, 403)
    r = client.delete(f"{API}/workspaces/{ws}/members/{team['viewer']['user_id']}", headers=m["headers"])
    assert_problem(r, 403)
    assert members(client, team["owner"]["headers"], ws) == before
    r = client.get(f"{API}/workspaces/{ws}/invites", headers=m["headers"])
    assert_problem(r, 403)


def test_admin_cannot_touch_an_owner(server, team, client):
    ws, a, o = team["ws"], team["admin"], team["owner"]
    before = members(client, o["headers"], ws)
    for role in ("admin", "member", "viewer"):
        r = client.patch(f"{API}/workspaces/{ws}/members/{o['user_id']}", json={"role": role}, headers=a["headers"])
        assert_problem(r, 403)
    assert_problem(client.delete(f"{API}/workspaces/{ws}/members/{o['user_id']}", headers=a["headers"]), 403)
    # Nor make itself owner, nor mint admins through invites.
    r = client.patch(f"{API}/workspaces/{ws}/members/{a['user_id']}", json={"role": "owner"}, headers=a["headers"])
    assert_problem(r, 403)
    r = client.patch(f"{API}/workspaces/{ws}/members/{team['member']['user_id']}", json={"role": "admin"},
                     headers=a["headers"])
    assert_problem(r, 403)
    assert_problem(create_invite(client, a["headers"], ws, "admin"), 403)
    assert_problem(client.delete(f"{API}/workspaces/{ws}", headers=a["headers"]), 403)
    assert members(client, o["headers"], ws) == before
    # What an admin may do: invite a member (and the invite works as a member invite).
    inv = create_invite_ok(client, a["headers"], ws, "member")
    remember("invite token", inv["token"])
    assert inv["role"] == "member"
    r = client.delete(f"{API}/workspaces/{ws}/invites/{inv['id']}", headers=a["headers"])
    assert r.status_code == 204, r.text


def test_last_owner_cannot_leave_or_be_demoted(server, team, client):
    ws, o = team["ws"], team["owner"]
    r = client.delete(f"{API}/workspaces/{ws}/members/{o['user_id']}", headers=o["headers"])
    assert_problem(r, 409)
    for role in ("admin", "member", "viewer"):
        r = client.patch(f"{API}/workspaces/{ws}/members/{o['user_id']}", json={"role": role}, headers=o["headers"])
        assert_problem(r, 409)
    assert members(client, o["headers"], ws).get(o["user_id"]) == "owner"
    r = client.get(f"{API}/workspaces/{ws}", headers=o["headers"])
    assert r.status_code == 200 and r.json()["role"] == "owner"


def test_viewer_cannot_rename_the_workspace(server, team, client):
    ws, v = team["ws"], team["viewer"]
    r = client.get(f"{API}/workspaces/{ws}", headers=v["headers"])
    assert r.status_code == 200 and r.json()["role"] == "viewer", r.text
    assert_problem(client.patch(f"{API}/workspaces/{ws}", json={"name": "Viewer Was Here"}, headers=v["headers"]), 403)
    assert_problem(client.delete(f"{API}/workspaces/{ws}", headers=v["headers"]), 403)
    assert_problem(create_invite(client, v["headers"], ws, "viewer"), 403)
    r = client.get(f"{API}/workspaces/{ws}", headers=team["owner"]["headers"])
    assert r.json()["name"] == "Team Space", r.json()
    # A member may not rename it either; the owner may.
    assert_problem(client.patch(f"{API}/workspaces/{ws}", json={"name": "Member Was Here"},
                                headers=team["member"]["headers"]), 403)
    r = client.patch(f"{API}/workspaces/{ws}", json={"name": "Team Space"}, headers=team["owner"]["headers"])
    assert r.status_code == 200, r.text


def test_revoked_invite_cannot_be_accepted(server, boss, client):
    ws = boss["workspace_id"]
    inv = create_invite_ok(client, boss["headers"], ws, "member", max_uses=10)
    remember("invite token", inv["token"])
    r = client.delete(f"{API}/workspaces/{ws}/invites/{inv['id']}", headers=boss["headers"])
    assert r.status_code == 204, f"revoke invite: {r.status_code} {r.text}"
    listed = {i["id"]: i for i in client.get(f"{API}/workspaces/{ws}/invites", headers=boss["headers"],
                                              params={"limit": 200}).json()["data"]}
    assert listed.get(inv["id"], {}).get("revoked") is True, listed.get(inv["id"])
    email, password = unique_email("late"), strong_password()
    remember("password", password)
    assert_problem(accept_signup(client, inv["token"], email, password, "Late Comer"), 404)
    assert_unauthorized(login(client, email, password), "login as someone whose invite sign-up was refused")
    # An existing, signed-in person cannot use it either.
    outsider = create_owner(server, unique_email("outsider"), "Elsewhere")
    remember_person(outsider)
    r = client.post(f"{API}/invites/{inv['token']}/accept", headers=outsider["headers"])
    assert_problem(r, 404)
    assert ws not in {w["id"] for w in me(client, outsider["access_token"]).json()["workspaces"]}


def test_single_use_invite_works_once(server, boss, client):
    ws = boss["workspace_id"]
    inv = create_invite_ok(client, boss["headers"], ws, "viewer", max_uses=1)
    remember("invite token", inv["token"])
    first = remember_person(signup_via_invite(client, inv["token"], "firstcome"))
    assert first["role"] == "viewer"
    email, password = unique_email("second"), strong_password()
    remember("password", password)
    assert_problem(accept_signup(client, inv["token"], email, password, "Second Comer"), 404)
    assert_unauthorized(login(client, email, password), "login as the second taker of a single-use invite")
    # Nor by a signed-in person.
    outsider = create_owner(server, unique_email("another"), "Another")
    remember_person(outsider)
    assert_problem(client.post(f"{API}/invites/{inv['token']}/accept", headers=outsider["headers"]), 404)
    listed = {i["id"]: i for i in client.get(f"{API}/workspaces/{ws}/invites", headers=boss["headers"],
                                              params={"limit": 200}).json()["data"]}
    assert listed[inv["id"]]["uses"] == 1, listed[inv["id"]]


def test_an_invite_expires_after_its_expires_in(server, boss, client):
    inv = create_invite_ok(client, boss["headers"], boss["workspace_id"], "member", expires_in=1, max_uses=5)
    remember("invite token", inv["token"])
    time.sleep(1.5)
    email, password = unique_email("late"), strong_password()
    remember("password", password)
    assert_problem(accept_signup(client, inv["token"], email, password, "Too Late"), 404)
    assert_unauthorized(login(client, email, password), "login as someone who took an expired invite")


def test_invite_tokens_never_listed(server, boss, team, client):
    tokens = [create_invite_ok(client, boss["headers"], boss["workspace_id"], role)["token"]
              for role in ("member", "viewer", "admin")]
    for t in tokens:
        remember("invite token", t)
    all_tokens = tokens + [v for k, v in SECRETS.items() if k.startswith("invite token")]
    for ws in (boss["workspace_id"], team["ws"]):
        r = client.get(f"{API}/workspaces/{ws}/invites", headers=boss["headers"], params={"limit": 200})
        assert r.status_code == 200, r.text
        items = r.json()["data"]
        assert items, "no invites listed"
        for item in items:
            assert "token" not in item and "url" not in item and "token_hash" not in item, item
            assert item["id"].startswith("inv_"), item
        for t in all_tokens:
            assert t not in r.text, "an invite token appears in GET invites"
            assert t[len("inv_"):] not in r.text, "an invite token (without prefix) appears in GET invites"


def test_existing_person_accepts_an_invite(server, boss, new_person, client):
    outsider = create_owner(server, unique_email("joiner"), "Own Place")
    remember_person(outsider)
    inv = create_invite_ok(client, boss["headers"], boss["workspace_id"], "viewer", max_uses=3)
    remember("invite token", inv["token"])
    r = client.post(f"{API}/invites/{inv['token']}/accept", headers=outsider["headers"])
    assert r.status_code == 200, f"signed-in accept: {r.status_code} {r.text}"
    body = r.json()
    assert body["role"] == "viewer" and body["workspace_id"] == boss["workspace_id"], body
    assert "access_token" not in body and "refresh_token" not in body, "a signed-in accept minted new tokens"
    roles = {w["id"]: w["role"] for w in me(client, outsider["access_token"]).json()["workspaces"]}
    assert roles.get(boss["workspace_id"]) == "viewer", roles
    # Again, while a member: 409, and the invite is not spent by the refusal.
    assert_problem(client.post(f"{API}/invites/{inv['token']}/accept", headers=outsider["headers"]), 409)
    listed = {i["id"]: i for i in client.get(f"{API}/workspaces/{boss['workspace_id']}/invites",
                                             headers=boss["headers"], params={"limit": 200}).json()["data"]}
    assert listed[inv["id"]]["uses"] == 1, listed[inv["id"]]
    # A forged bearer token on accept is 401, not a sign-up.
    assert_unauthorized(client.post(f"{API}/invites/{inv['token']}/accept", headers=bearer("x.y.z")),
                        "accept with a garbage bearer token")


def test_invite_signup_with_an_existing_email_does_not_reveal_it(server, boss, new_person, client):
    """Sign-up through an invite with the email of an existing account. With that account's
    password the person joins and gets exactly what a new account gets (201, the same fields,
    working tokens). With any other password the answer is the login's wrong-password answer,
    never "this email exists"; it counts against the account like a failed login (ten lock it)
    and is audited for that person. The invite is not spent by a refusal."""
    existing = new_person("existing")
    probed = new_person("probed")
    ws = create_workspace(client, boss["headers"], "Sign-up Space")["id"]
    invite = create_invite_ok(client, boss["headers"], ws, "member", max_uses=5)
    remember("invite token", invite["token"])

    fresh_email, fresh_password = unique_email("fresh"), strong_password()
    remember("password", fresh_password)
    new_account = accept_signup(client, invite["token"], fresh_email, fresh_password, "Fresh Person")
    assert new_account.status_code == 201, f"sign-up with a new email: {new_account.status_code} {new_account.text}"
    remember("refresh token", new_account.json().get("refresh_token"))

    wrong = "Wrong-" + strong_password()
    remember("password", wrong)
    login_answer = strip_per_request(assert_unauthorized(login(client, unique_email("nobody"), wrong), "login, unknown email"))
    r = accept_signup(client, invite["token"], existing["email"], wrong, "Not Them")
    answer = strip_per_request(assert_unauthorized(r, "sign-up with an existing email and another password"))
    assert answer == login_answer, f"the sign-up refusal {answer} is not the login's wrong-password answer {login_answer}"
    assert "exist" not in r.text.lower() and "sign in" not in r.text.lower(), r.text
    failures = server.sql_rows(f"SELECT failed_logins FROM users WHERE id = '{existing['user_id']}'")
    assert failures == [["1"]], f"the refused sign-up did not count as a failed login: {failures}"
    audited = server.sql_rows(f"SELECT action FROM audit_log WHERE action = 'auth.login.failed' "
                              f"AND target = '{existing['user_id']}'")
    assert audited, "the refused sign-up was not audited for the existing person"

    r = accept_signup(client, invite["token"], existing["email"].upper(), existing["password"], "Ignored Name")
    assert r.status_code == 201, f"sign-up with an existing email and its password: {r.status_code} {r.text}"
    joined = r.json()
    remember("refresh token", joined.get("refresh_token"))
    assert set(joined) == set(new_account.json()), f"fields differ: {sorted(joined)} vs {sorted(new_account.json())}"
    assert joined["user_id"] == existing["user_id"] and joined["workspace_id"] == ws and joined["role"] == "member", joined
    mine = me(client, joined["access_token"]).json()
    assert mine["id"] == existing["user_id"] and mine["name"] != "Ignored Name", mine
    assert {"id": ws, "role": "member"} in mine["workspaces"], mine
    assert server.sql_rows(f"SELECT failed_logins FROM users WHERE id = '{existing['user_id']}'") == [["0"]], \
        "a complete sign-in did not reset the failure count"

    # Ten refused sign-ups lock the account like ten wrong passwords; the invite is not spent by them.
    for i in range(10):
        assert_unauthorized(accept_signup(client, invite["token"], probed["email"], f"Wrong-{i}-" + strong_password()),
                            f"probing sign-up #{i + 1}")
    assert_unauthorized(login(client, probed["email"], probed["password"]), "login of an account locked by sign-up probes")
    locks = server.sql_rows(f"SELECT COUNT(*) FROM audit_log WHERE action = 'auth.account.locked' AND target = '{probed['user_id']}'")
    assert locks[0][0] != "0", "the lock by sign-up probes was not audited"
    listed = {i["id"]: i for i in client.get(f"{API}/workspaces/{ws}/invites", headers=boss["headers"]).json()["data"]}
    assert listed[invite["id"]]["uses"] == 2, listed[invite["id"]]


def test_signup_with_a_bogus_invite_token_costs_no_password_hashing(make_server):
    """The invite token is checked before the password is hashed: a burst of sign-ups with
    made-up tokens is all 404 at once. Were each hashed first, the burst would fill the hashing
    pool (as many argon2 runs as cores, 64 waiting) and the overflow would be answered 503."""
    srv = make_server({"CONCLAVE_RATE_LIMITS": "signup=100000/1m,api_anonymous=100000/1m"})

    async def burst(n: int) -> list[int]:
        limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
        async with httpx.AsyncClient(base_url=srv.base_url, limits=limits, timeout=120) as c:
            async def one(i: int) -> int:
                r = await c.post(f"{API}/invites/inv_{secrets.token_urlsafe(32)}/accept",
                                 json={"email": unique_email(f"bogus{i}"), "password": strong_password(), "name": "Bogus"})
                return r.status_code
            return list(await asyncio.gather(*(one(i) for i in range(n))))

    statuses = Counter(asyncio.run(burst(200)))
    assert statuses == Counter({404: 200}), f"a burst of sign-ups with bogus invite tokens was answered {dict(statuses)}"


def test_invite_parameters_are_validated(server, boss, client):
    ws, h = boss["workspace_id"], boss["headers"]
    for payload, field in (({"role": "owner"}, "role"), ({"role": "agent"}, "role"), ({"role": "god"}, "role"),
                           ({"role": "member", "max_uses": 0}, "max_uses"),
                           ({"role": "member", "max_uses": 1001}, "max_uses"),
                           ({"role": "member", "expires_in": 0}, "expires_in"),
                           ({"role": "member", "expires_in": 365 * 86400}, "expires_in")):
        r = client.post(f"{API}/workspaces/{ws}/invites", json=payload, headers=h)
        body = assert_problem(r, 422)
        assert field in field_errors(body), f"{payload}: {body}"
        assert "token" not in r.json()


def test_removed_member_loses_access_at_once(server, new_person, client):
    o = new_person("smallboss")
    ws = create_workspace(client, o["headers"], "Small Team")["id"]
    joined = {}
    for role in ("admin", "member", "viewer"):
        inv = create_invite_ok(client, o["headers"], ws, role)
        remember("invite token", inv["token"])
        joined[role] = remember_person(signup_via_invite(client, inv["token"], role))
    a, m, v = joined["admin"], joined["member"], joined["viewer"]
    # An admin removes a member; the member is out at once (404, like any stranger).
    r = client.delete(f"{API}/workspaces/{ws}/members/{m['user_id']}", headers=a["headers"])
    assert r.status_code == 204, f"admin removes member: {r.status_code} {r.text}"
    assert_problem(client.get(f"{API}/workspaces/{ws}", headers=m["headers"]), 404)
    assert_problem(client.get(f"{API}/workspaces/{ws}/members", headers=m["headers"]), 404)
    # An admin cannot remove another admin; the owner can demote and remove one.
    other_admin_inv = create_invite_ok(client, o["headers"], ws, "admin")
    remember("invite token", other_admin_inv["token"])
    a2 = remember_person(signup_via_invite(client, other_admin_inv["token"], "admintwo"))
    assert_problem(client.delete(f"{API}/workspaces/{ws}/members/{a2['user_id']}", headers=a["headers"]), 403)
    assert_problem(client.patch(f"{API}/workspaces/{ws}/members/{a2['user_id']}", json={"role": "member"},
                                headers=a["headers"]), 403)
    r = client.patch(f"{API}/workspaces/{ws}/members/{a2['user_id']}", json={"role": "member"}, headers=o["headers"])
    assert r.status_code == 200 and r.json()["role"] == "member", r.text
    # A demoted admin loses admin powers at once.
    assert_problem(create_invite(client, a2["headers"], ws, "member"), 403)
    # A viewer may leave on its own.
    r = client.delete(f"{API}/workspaces/{ws}/members/{v['user_id']}", headers=v["headers"])
    assert r.status_code == 204, f"viewer leaves: {r.status_code} {r.text}"
    assert_problem(client.get(f"{API}/workspaces/{ws}", headers=v["headers"]), 404)
    # With a second owner, the first may leave.
    r = client.patch(f"{API}/workspaces/{ws}/members/{a['user_id']}", json={"role": "owner"}, headers=o["headers"])
    assert r.status_code == 200 and r.json()["role"] == "owner", r.text
    r = client.delete(f"{API}/workspaces/{ws}/members/{o['user_id']}", headers=o["headers"])
    assert r.status_code == 204, f"an owner with a co-owner leaves: {r.status_code} {r.text}"
    assert members(client, a["headers"], ws) == {a["user_id"]: "owner", a2["user_id"]: "member"}


def test_deleted_workspace_is_gone_with_its_invites(server, new_person, client):
    o = new_person("demolisher")
    ws = create_workspace(client, o["headers"], "Short Lived")["id"]
    inv = create_invite_ok(client, o["headers"], ws, "member")
    remember("invite token", inv["token"])
    m = remember_person(signup_via_invite(client, inv["token"], "tenant"))
    spare = create_invite_ok(client, o["headers"], ws, "member", max_uses=5)
    remember("invite token", spare["token"])
    r = client.delete(f"{API}/workspaces/{ws}", headers=o["headers"])
    assert r.status_code == 204, f"owner deletes workspace: {r.status_code} {r.text}"
    for who in (o, m):
        assert_problem(client.get(f"{API}/workspaces/{ws}", headers=who["headers"]), 404)
        assert ws not in {w["id"] for w in me(client, who["access_token"]).json()["workspaces"]}
    email, password = unique_email("orphan"), strong_password()
    remember("password", password)
    assert_problem(accept_signup(client, spare["token"], email, password, "Or Phan"), 404)


# ======================================================================================
# Data at rest (keep last: it stops the module's server)
# ======================================================================================

def test_no_plain_secrets_at_rest(server, boss, new_person, client):
    # Make sure there is something to look for even when this test runs alone.
    p = new_person("atrest")
    s = login_ok(client, p["email"], p["password"])
    remember("refresh token", s["refresh_token"])
    r = client.post(f"{API}/auth/refresh", json={"refresh_token": s["refresh_token"]})
    assert r.status_code == 200, r.text
    remember("refresh token", r.json()["refresh_token"])
    remember("invite token", create_invite_ok(client, boss["headers"], boss["workspace_id"], "member")["token"])

    assert server.stop() == 0, "the server did not exit cleanly"
    assert SECRETS, "no secrets were recorded"
    needles = dict(SECRETS)
    # Invite and refresh tokens also without their prefix (the random part is the secret).
    for label, value in SECRETS.items():
        if label.startswith(("invite token", "refresh token")) and "_" in value[:5]:
            needles[label + " (random part)"] = value.split("_", 1)[1]
    if BACKEND != "sqlite":
        # No file to grep: read every row of every table as text instead.
        tables = [r[0] for r in server.sql_rows(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")]
        assert "users" in tables or any("user" in t for t in tables), tables
        dump = "\n".join(server.sql(f'SELECT t::text FROM "{t}" t').stdout for t in tables)
        assert p["user_id"] in dump and s["session_id"] in dump, "the dump does not show the plain ids"
        hits = sorted({label for label, value in needles.items() if value in dump})
        assert not hits, "plain secrets found in the database:\n" + "\n".join(hits)
        return
    files = [pth for pth in server.data_dir.rglob("*") if pth.is_file()]
    assert any(pth.name.startswith("conclave.db") for pth in files), f"no database in {files}"
    # Control: the scan does see what the database holds (ids are stored as they are).
    control = find_secrets_in_dir(server.data_dir, {"user id": p["user_id"], "session id": s["session_id"]})
    assert len(control) >= 2, f"the scan did not find the plain ids it should see: {control}"
    hits = find_secrets_in_dir(server.data_dir, needles)
    assert not hits, "plain secrets found at rest:\n" + "\n".join(hits)


def test_no_secrets_in_server_output(server):
    """Runs after the module's server stopped: nothing it printed holds a password, refresh
    token or invite token used above (invite tokens travel in the accept URL's path)."""
    if server.running:
        assert server.stop() == 0
    assert SECRETS, "no secrets were recorded"
    output = server.output
    hits = [label for label, value in SECRETS.items() if value and value in output]
    assert not hits, f"{len(hits)} secrets appear in the server's stdout/stderr: {sorted(set(l.split(' #')[0] for l in hits))}"
