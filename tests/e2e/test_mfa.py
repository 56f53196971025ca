"""TOTP second factor end to end (contract: "TOTP (RFC 6238, SHA-1, 6 digits, 30 s, ±1 step, a code
is accepted once)"), with pyotp as the independent authenticator app.

Enrolment (enroll → confirm → backup codes), the two-step login (`mfa_required` + `mfa_token`, then
`POST /api/v1/auth/mfa`), single use of TOTP steps, backup codes and MFA tokens, the per-token rate
limit, removal, what is left on disk and in the logs, and the audit trail.

Time: the server accepts the steps current-1 .. current+1 and never a step at or below the last one
it accepted. Each test uses its own account and at most two accepted TOTP steps per account (the
current one or the previous, then the next one), so no test has to sleep through a 30 s step; the
`Authenticator` below only waits when a test would need a third step.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import pyotp
import pytest

from conftest import BACKEND, Server, assert_problem, create_owner, running_server, strip_per_request, strong_password
from helpers_identity import (API, age_sign_in, assert_reauthentication_required, assert_unauthorized, bearer,
                              create_invite_ok, failed_logins, field_errors, find_secrets_in_dir, login, me,
                              signup_via_invite, unique_email)

STEP = 30

# This module's shared server: login / sign-up / anonymous limits high enough for the many logins
# below. The mfa limit keeps its default (5 per 5 minutes per mfa_token): no test here makes more
# than 3 attempts on one token, except the rate-limit test, which runs on a server of its own.
MFA_SERVER_ENV = {
    "CONCLAVE_RATE_LIMITS": "login=1000/1m,signup=1000/1h,refresh=1000/1m,api_anonymous=1000/1m,auth_failures=100000/1m",
}


@pytest.fixture(scope="module")
def server(conclave_bin):
    """Overrides conftest's shared server for this module only (see MFA_SERVER_ENV)."""
    yield from running_server(MFA_SERVER_ENV)


@pytest.fixture(scope="module")
def new_person(server, owner):
    """Factory: a new person (own account, no second factor) who signed up through an invite."""
    def make(tag: str = "user") -> dict:
        with server.client() as c:
            invite = create_invite_ok(c, owner["headers"], owner["workspace_id"], "member")
            return signup_via_invite(c, invite["token"], tag)
    return make


# ======================================================================================
# The authenticator app (pyotp) and helpers
# ======================================================================================

def current_step() -> int:
    return int(time.time() // STEP)


def wait_for_room(seconds: float) -> None:
    """Make sure at least `seconds` remain in the current step (sleeps into the next one if not),
    so that a code computed now for a step relative to the current one is still judged against
    the same server step when the request arrives."""
    left = STEP - time.time() % STEP
    if left < seconds:
        time.sleep(left + 0.05)


class Authenticator:
    """The user's authenticator app: pyotp's TOTP with the enrolled secret, remembering the
    last step the server accepted from it (the server refuses that step and every earlier one)."""

    def __init__(self, secret: str):
        self.secret = secret
        self.totp = pyotp.TOTP(secret)  # RFC 6238 defaults: SHA-1, 6 digits, 30 s
        self.last: int | None = None

    def at_step(self, step: int) -> str:
        return self.totp.generate_otp(step)

    def fresh(self) -> str:
        """A code for the earliest step the server should accept now: the current step, or the
        next one (inside the ±1 window) when the current one was already used. Waits only when
        even the next step was used already. Marks the step as used."""
        while True:
            now = current_step()
            want = now if self.last is None else max(now, self.last + 1)
            if want <= now + 1:
                break
            time.sleep(STEP - time.time() % STEP + 0.05)
        self.last = want
        return self.at_step(want)

    def wrong(self) -> str:
        """A 6-digit code that matches no step anywhere near now."""
        now = current_step()
        near = {self.at_step(now + d) for d in range(-4, 5)}
        while True:
            code = f"{secrets.randbelow(10 ** 6):06d}"
            if code not in near:
                return code


def enroll(c, headers: dict) -> dict:
    r = c.post(f"{API}/auth/totp/enroll", headers=headers)
    assert r.status_code == 200, f"POST /auth/totp/enroll: {r.status_code} {r.text}"
    body = r.json()
    assert isinstance(body.get("secret"), str) and body["secret"], body
    assert isinstance(body.get("otpauth_uri"), str) and body["otpauth_uri"], body
    return body


def confirm(c, headers: dict, code: str):
    return c.post(f"{API}/auth/totp/confirm", json={"code": code}, headers=headers)


def check_backup_codes(r) -> list[str]:
    assert r.status_code == 200, f"POST /auth/totp/confirm with a valid code: {r.status_code} {r.text}"
    codes = r.json().get("backup_codes")
    assert isinstance(codes, list) and len(codes) == 10, f"want exactly 10 backup codes: {r.text}"
    assert all(isinstance(x, str) and len(x.replace("-", "")) >= 8 for x in codes), codes
    assert len(set(codes)) == 10, f"backup codes are not distinct: {codes}"
    return codes


def enable_totp(c, person: dict, code_step: int | None = None) -> dict:
    """Enroll and confirm (with the current step, or `code_step`). Adds `auth` (Authenticator),
    `secret`, `otpauth_uri` and `backup_codes` to `person` and returns it."""
    enrolled = enroll(c, person["headers"])
    auth = Authenticator(enrolled["secret"])
    if code_step is None:
        code = auth.fresh()
    else:
        code = auth.at_step(code_step)
        auth.last = code_step
    codes = check_backup_codes(confirm(c, person["headers"], code))
    person.update(auth=auth, secret=enrolled["secret"], otpauth_uri=enrolled["otpauth_uri"],
                  backup_codes=codes)
    return person


def totp_on_person(server: Server, new_person, tag: str) -> dict:
    person = new_person(tag)
    with server.client() as c:
        return enable_totp(c, person)


def begin_login(c, person: dict) -> str:
    """Password login of an account with TOTP on: returns the mfa_token (and checks the shape)."""
    r = login(c, person["email"], person["password"])
    assert r.status_code == 200, f"login with TOTP on: {r.status_code} {r.text}"
    body = r.json()
    assert body.get("mfa_required") is True, f"login with TOTP on did not ask for a second factor: {body}"
    for key in ("access_token", "refresh_token", "session_id"):
        assert key not in body, f"login with TOTP on returned {key} before the second factor: {body}"
    methods = body.get("methods")
    assert isinstance(methods, list) and "totp" in methods and "backup_code" in methods, \
        f"methods should offer totp and backup_code: {body}"
    assert "webauthn" not in methods, f"webauthn offered to an account without a passkey: {body}"
    token = body.get("mfa_token")
    assert isinstance(token, str) and len(token) >= 20, f"no usable mfa_token: {body}"
    return token


def mfa(c, token: str, code: str):
    return c.post(f"{API}/auth/mfa", json={"mfa_token": token, "code": code})


def assert_token_pair(c, r, person: dict, what: str) -> dict:
    assert r.status_code == 200, f"{what}: expected 200 and a token pair, got {r.status_code} {r.text}"
    body = r.json()
    for key in ("access_token", "refresh_token", "session_id"):
        assert body.get(key), f"{what}: response lacks {key}: {body}"
    assert body.get("token_type") == "Bearer", f"{what}: {body}"
    assert "mfa_required" not in body, f"{what}: {body}"
    r_me = me(c, body["access_token"])
    assert r_me.status_code == 200, f"{what}: /me with the new access token: {r_me.status_code} {r_me.text}"
    assert r_me.json().get("id") == person["user_id"], f"{what}: /me is someone else: {r_me.text}"
    return body


def assert_mfa_refused(r, what: str) -> dict:
    return assert_unauthorized(r, what)


def assert_totp_off(c, person: dict, what: str) -> None:
    r = login(c, person["email"], person["password"])
    assert r.status_code == 200, f"{what}: login {r.status_code} {r.text}"
    body = r.json()
    assert "mfa_required" not in body and body.get("access_token"), \
        f"{what}: login should return tokens directly (TOTP off), got {body}"


# ======================================================================================
# Enrolment
# ======================================================================================

def test_totp_endpoints_require_a_session(server, client):
    for method, path, payload in (("POST", "/auth/totp/enroll", None),
                                  ("POST", "/auth/totp/confirm", {"code": "123456"}),
                                  ("DELETE", "/auth/totp", {"code": "123456"})):
        for headers, label in (({}, "no Authorization"),
                               (bearer("not-a-jwt"), "garbage bearer"),
                               (bearer("ck_" + secrets.token_urlsafe(40)), "made-up API key")):
            r = client.request(method, f"{API}{path}", json=payload, headers=headers)
            assert_unauthorized(r, f"{method} {path} with {label}")


def test_enroll_returns_a_secret_and_uri_that_pyotp_understands(server, new_person):
    person = new_person("enrol")
    with server.client() as c:
        body = enroll(c, person["headers"])
    secret, uri = body["secret"], body["otpauth_uri"]

    assert re.fullmatch(r"[A-Z2-7]+=*", secret), f"secret is not RFC 4648 base32: {secret!r}"
    raw = base64.b32decode(secret + "=" * (-len(secret) % 8))
    assert len(raw) >= 16, f"secret has {len(raw) * 8} bits; RFC 4226 requires at least 128"

    assert uri.startswith("otpauth://totp/"), uri
    parsed = pyotp.parse_uri(uri)
    assert isinstance(parsed, pyotp.TOTP), f"pyotp parsed {uri!r} as {type(parsed).__name__}"
    assert parsed.secret.rstrip("=").upper() == secret.rstrip("=").upper(), \
        f"URI secret {parsed.secret!r} != response secret {secret!r}"
    assert parsed.digest().name == "sha1", f"algorithm {parsed.digest().name} (want SHA-1): {uri}"
    assert parsed.digits == 6, f"digits {parsed.digits}: {uri}"
    assert parsed.interval == 30, f"period {parsed.interval}: {uri}"
    assert parsed.name == person["email"], f"account name {parsed.name!r}: {uri}"
    assert parsed.issuer, f"no issuer: {uri}"
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(uri).query)
    assert query.get("algorithm", ["SHA1"])[0].upper() == "SHA1", uri
    assert parsed.at(time.time()) == pyotp.TOTP(secret).now()


def test_confirm_enables_totp_and_login_then_needs_a_second_factor(server, new_person):
    person = new_person("confirm")
    with server.client() as c:
        enrolled = enroll(c, person["headers"])
        auth = Authenticator(enrolled["secret"])

        # A wrong code: 403 on `code` (a malformed one: 422), and TOTP stays off.
        for wrong, status in ((auth.wrong(), 403), ("abcdef", 422), ("", 422)):
            r = confirm(c, person["headers"], wrong)
            body = assert_problem(r, status)
            assert "code" in field_errors(body), f"confirm with {wrong!r}: no field error on `code`: {body}"
        assert_totp_off(c, person, "after a refused confirm")

        # pyotp's current code: 200 and 10 backup codes.
        codes = check_backup_codes(confirm(c, person["headers"], auth.fresh()))
        person.update(auth=auth, backup_codes=codes)

        # Enrolling again while enabled → 409 (and the enrolled secret is kept: see below).
        r = c.post(f"{API}/auth/totp/enroll", headers=person["headers"])
        assert_problem(r, 409)

        # Login now stops at the second factor; the mfa_token is not an access token.
        token = begin_login(c, person)
        assert_unauthorized(me(c, token), "the mfa_token used as a bearer token on /me")
        # The next step of the ORIGINAL secret (the confirm spent the current one).
        pair = assert_token_pair(c, mfa(c, token, auth.fresh()), person, "/auth/mfa with pyotp's code")
        assert pair["session_id"] != person["session_id"]

        # Confirming again once enabled → 409, whatever the code.
        r = confirm(c, person["headers"], auth.at_step(auth.last))
        assert_problem(r, 409)
        r = confirm(c, bearer(pair["access_token"]), auth.wrong())
        assert_problem(r, 409)


def test_window_is_plus_minus_one_step(server, new_person):
    """Codes two steps away are refused; the next step (+1) is accepted."""
    person = new_person("window")
    with server.client() as c:
        enrolled = enroll(c, person["headers"])
        auth = Authenticator(enrolled["secret"])
        wait_for_room(3)
        now = current_step()
        for delta in (-2, +2):
            r = confirm(c, person["headers"], auth.at_step(now + delta))
            body = assert_problem(r, 403)
            assert "code" in field_errors(body), body
        check_backup_codes(confirm(c, person["headers"], auth.at_step(now + 1)))


# ======================================================================================
# Single use
# ======================================================================================

def test_a_totp_code_is_accepted_once(server, new_person):
    person = new_person("replay")
    with server.client() as c:
        wait_for_room(3)
        s = current_step()
        # Confirm with the PREVIOUS step (inside the ±1 window): the server's counter is now s-1.
        enable_totp(c, person, code_step=s - 1)
        auth = person["auth"]

        # The code the confirm used cannot log in.
        r = mfa(c, begin_login(c, person), auth.at_step(s - 1))
        assert_mfa_refused(r, "/auth/mfa with the code already accepted by confirm")

        # The NEXT step (+1, inside the window), skipping the current one: accepted.
        code = auth.at_step(s + 1)
        auth.last = s + 1
        assert_token_pair(c, mfa(c, begin_login(c, person), code), person, "/auth/mfa with the next step's code")

        # The same code again, on a new login, within the same 30 s step: refused.
        r = mfa(c, begin_login(c, person), code)
        assert_mfa_refused(r, "/auth/mfa replaying the code of the same step")

        # The current step s was never used and is inside the window (the server is at s or s+1),
        # but it is earlier than the last accepted step: refused.
        assert current_step() <= s + 1, "test too slow: more than a step elapsed"
        r = mfa(c, begin_login(c, person), auth.at_step(s))
        assert_mfa_refused(r, "/auth/mfa with a code for a step before the last accepted one")


def test_backup_codes_work_once_in_any_spelling(server, new_person):
    person = totp_on_person(server, new_person, "backup")
    codes = person["backup_codes"]
    with server.client() as c:
        def use(code: str):
            return mfa(c, begin_login(c, person), code)

        assert_token_pair(c, use(codes[0]), person, f"backup code {codes[0]!r}")
        assert_mfa_refused(use(codes[0]), f"backup code {codes[0]!r} used a second time")
        respelled = codes[0].upper().replace("-", "")
        assert_mfa_refused(use(respelled), f"used backup code respelled as {respelled!r}")

        # Case and the dash do not matter (BackupCodes.normalize also ignores spaces).
        variants = [codes[1].upper(), codes[2].replace("-", ""), codes[3].upper().replace("-", ""),
                    codes[4].replace("-", " ")]
        for variant in variants:
            assert_token_pair(c, use(variant), person, f"backup code typed as {variant!r}")
            assert_mfa_refused(use(variant), f"backup code typed as {variant!r}, second use")

        # Crockford look-alikes are folded (o→0, i/l→1): only checkable if a code has a 0 or 1.
        spare = next((x for x in codes[5:] if "0" in x or "1" in x), None)
        if spare is not None:
            folded = spare.replace("0", "O").replace("1", "l")
            assert_token_pair(c, use(folded), person, f"backup code {spare!r} typed as {folded!r}")

        # Something shaped like a backup code that is not one.
        fake = "zzzz-zzzz"
        assert fake not in codes
        assert_mfa_refused(use(fake), "a made-up backup code")


def test_mfa_token_is_single_use_and_bound_to_its_user(server, new_person):
    person = totp_on_person(server, new_person, "token")
    other = totp_on_person(server, new_person, "other")
    with server.client() as c:
        token = begin_login(c, person)
        assert_token_pair(c, mfa(c, token, person["backup_codes"][0]), person, "first use of an mfa_token")
        assert_mfa_refused(mfa(c, token, person["backup_codes"][1]),
                           "the spent mfa_token with another valid backup code")
        assert_mfa_refused(mfa(c, token, person["auth"].fresh()),
                           "the spent mfa_token with a valid TOTP code")

        # Garbage tokens.
        for garbage in ("mfa_" + secrets.token_urlsafe(32), secrets.token_hex(32), "", "x" * 5000):
            assert_mfa_refused(mfa(c, garbage, person["backup_codes"][2]), f"garbage mfa_token {garbage[:20]!r}...")

        # Someone else's valid code does not complete this user's login.
        token = begin_login(c, person)
        assert_mfa_refused(mfa(c, token, other["backup_codes"][0]), "mfa_token with another user's backup code")
        assert_mfa_refused(mfa(c, token, other["auth"].fresh()), "mfa_token with another user's TOTP code")


def test_concurrent_use_of_one_code_succeeds_once(server, new_person):
    person = totp_on_person(server, new_person, "race")
    with server.client() as c:
        for label, code in (("TOTP code", person["auth"].fresh()), ("backup code", person["backup_codes"][0])):
            tokens = [begin_login(c, person) for _ in range(6)]
            with ThreadPoolExecutor(len(tokens)) as pool:
                def attempt(tok):
                    with server.client() as cc:
                        return mfa(cc, tok, code)
                results = list(pool.map(attempt, tokens))
            statuses = sorted(r.status_code for r in results)
            assert statuses.count(200) == 1 and statuses.count(401) == len(tokens) - 1, \
                f"the same {label} on {len(tokens)} mfa_tokens at once: statuses {statuses}"


# ======================================================================================
# No hint that MFA is on
# ======================================================================================

def test_wrong_password_with_totp_on_looks_like_any_wrong_password(server, new_person):
    with_totp = totp_on_person(server, new_person, "hinted")
    without = new_person("plain")
    with server.client() as c:
        responses = {
            "totp on": login(c, with_totp["email"], "Wrong-" + strong_password()),
            "totp off": login(c, without["email"], "Wrong-" + strong_password()),
            "unknown": login(c, unique_email("ghost"), "Wrong-" + strong_password()),
        }
    bodies = {k: strip_per_request(assert_unauthorized(r, f"wrong password ({k})")) for k, r in responses.items()}
    assert bodies["totp on"] == bodies["totp off"] == bodies["unknown"], f"bodies differ: {bodies}"
    r = responses["totp on"]
    assert r.headers.get("www-authenticate") == responses["totp off"].headers.get("www-authenticate")
    assert r.headers.get("content-type") == responses["totp off"].headers.get("content-type")
    for name, value in r.headers.items():
        assert "mfa" not in name.lower() and "totp" not in value.lower() and "mfa" not in value.lower(), \
            f"wrong-password response header hints at MFA: {name}: {value}"
    assert "mfa" not in r.text.lower() and "totp" not in r.text.lower() and "factor" not in r.text.lower(), r.text


# ======================================================================================
# Removing TOTP
# ======================================================================================

def test_disable_totp(server, new_person, client):
    person = totp_on_person(server, new_person, "disable")
    auth = person["auth"]
    c = client
    r = c.request("DELETE", f"{API}/auth/totp", json={"code": auth.wrong()}, headers=person["headers"])
    body = assert_problem(r, 403)
    assert "code" in field_errors(body), body
    begin_login(c, person)  # still on
    assert c.get(f"{API}/me", headers=person["headers"]).json()["totp_enabled"] is True

    r = c.request("DELETE", f"{API}/auth/totp", json={"code": auth.fresh()}, headers=person["headers"])
    assert r.status_code == 204, f"DELETE /auth/totp with a fresh valid code: {r.status_code} {r.text}"
    assert_totp_off(c, person, "after DELETE /auth/totp")
    assert c.get(f"{API}/me", headers=person["headers"]).json()["totp_enabled"] is False

    # Enrolling again is possible and yields a new secret.
    again = enroll(c, person["headers"])
    assert again["secret"] != person["secret"]


# ======================================================================================
# Enrolling and removing TOTP need a recent sign-in (contract v1.1)
# ======================================================================================

def test_totp_enrolment_and_removal_need_a_recent_sign_in(server, new_person, client):
    """With an access token of a session signed into more than ten minutes ago (a stolen one,
    say) TOTP can be neither enrolled (an attacker's authenticator would lock the owner out) nor
    removed: 403 reauthentication_required, also after a refresh. `current_password` in the body
    proves it again; a wrong one is refused and counts towards the lockout. Each change is
    audited with the session that made it."""
    person = new_person("stale")
    c = client
    age_sign_in(server, person["session_id"])
    assert_reauthentication_required(c.post(f"{API}/auth/totp/enroll", headers=person["headers"]), "enroll, sign-in 11 min ago")
    assert_reauthentication_required(confirm(c, person["headers"], "123456"), "confirm, sign-in 11 min ago")
    r = c.post(f"{API}/auth/refresh", json={"refresh_token": person["refresh_token"]})
    assert r.status_code == 200, r.text
    headers = bearer(r.json()["access_token"])
    assert_reauthentication_required(c.post(f"{API}/auth/totp/enroll", headers=headers), "enroll after a refresh")

    wrong = "Wrong-" + strong_password()
    body = assert_problem(c.post(f"{API}/auth/totp/enroll", json={"current_password": wrong}, headers=headers), 403)
    assert "current_password" in field_errors(body), body
    assert failed_logins(server, person["user_id"]) == 1, "a wrong current_password did not count towards the lockout"

    r = c.post(f"{API}/auth/totp/enroll", json={"current_password": person["password"]}, headers=headers)
    assert r.status_code == 200, f"enroll with the current password: {r.status_code} {r.text}"
    auth = Authenticator(r.json()["secret"])
    check_backup_codes(confirm(c, headers, auth.fresh()))          # the proof just given is recent
    begin_login(c, person)

    age_sign_in(server, person["session_id"])
    r = c.request("DELETE", f"{API}/auth/totp", json={"code": auth.fresh()}, headers=headers)
    assert_reauthentication_required(r, "removing TOTP, sign-in 11 min ago")
    begin_login(c, person)  # still on
    r = c.request("DELETE", f"{API}/auth/totp", json={"code": auth.fresh(), "current_password": person["password"]},
                  headers=headers)
    assert r.status_code == 204, f"removing TOTP with a code and the current password: {r.status_code} {r.text}"
    assert_totp_off(c, person, "after removal")

    rows = server.sql_rows(f"SELECT action, details FROM audit_log WHERE target = '{person['user_id']}' "
                           f"AND action IN ('auth.totp.enabled', 'auth.totp.disabled')")
    details = {row[0]: json.loads("|".join(row[1:])) for row in rows}
    assert set(details) == {"auth.totp.enabled", "auth.totp.disabled"}, rows
    assert all(d.get("session_id") == person["session_id"] for d in details.values()), details


def test_enabling_totp_ends_every_other_session(server, new_person, client):
    """Turning TOTP on ends the person's other sessions (as a password change does): a session
    an attacker opened with the password alone does not outlive the new second factor."""
    person = new_person("revoker")
    others = [login(client, person["email"], person["password"]).json() for _ in range(2)]
    enrolled = enroll(client, person["headers"])
    r = confirm(client, person["headers"], Authenticator(enrolled["secret"]).fresh())
    check_backup_codes(r)
    assert r.json().get("sessions_revoked") == 2, r.json()
    for i, other in enumerate(others):
        assert_unauthorized(me(client, other["access_token"]), f"other session #{i} after TOTP was enabled")
        assert_unauthorized(client.post(f"{API}/auth/refresh", json={"refresh_token": other["refresh_token"]}),
                            f"refresh of other session #{i} after TOTP was enabled")
    assert me(client, person["access_token"]).status_code == 200, "the session that enabled TOTP was ended"


# ======================================================================================
# Rate limit (default limits)
# ======================================================================================

def test_mfa_is_rate_limited_per_token(make_server):
    srv = make_server()  # default limits: mfa = 5 per 5 minutes per mfa_token
    person = create_owner(srv, "mfa-limit@example.com", "Limits")
    with srv.client() as c:
        enable_totp(c, person)
        auth = person["auth"]
        token = begin_login(c, person)
        for i in range(5):
            r = mfa(c, token, auth.wrong())
            assert_mfa_refused(r, f"wrong code #{i + 1} on one mfa_token")
            assert r.headers.get("ratelimit-limit", "").strip().startswith("5"), \
                f"wrong code #{i + 1}: RateLimit-Limit={r.headers.get('ratelimit-limit')!r} (want 5)"
        r = mfa(c, token, auth.wrong())
        assert_problem(r, 429)
        retry = r.headers.get("retry-after", "")
        assert retry.strip().isdigit() and 1 <= int(retry) <= 300, f"6th wrong code: Retry-After={retry!r}"

        # Once limited, even the right code is not checked on that token.
        r = mfa(c, token, auth.at_step(current_step() + 1))
        assert_problem(r, 429)

        # The limit is per mfa_token: a new login gets a new budget, and the right code works.
        assert_token_pair(c, mfa(c, begin_login(c, person), auth.fresh()), person,
                          "a fresh mfa_token after another token was limited")


def test_second_factor_failures_lock_the_account_across_tokens(make_server):
    """Wrong TOTP and backup codes count per account, whatever the mfa_token or client IP, into
    the password lockout: ten lock the account for 15 minutes. A correct password (which mints
    a fresh mfa_token with a fresh per-token budget) does not clear them; only a complete sign-in
    does. A locked account answers like any locked account: the right password looks like a
    wrong one, and even the right code on a token minted before the lock is refused."""
    srv = make_server({"CONCLAVE_TRUSTED_PROXIES": "127.0.0.1/32", "CONCLAVE_RATE_LIMITS": "login=1000/1m"})
    person = create_owner(srv, "mfa-lock@example.com", "MfaLock")
    with srv.client() as c:
        enable_totp(c, person)
        auth = person["auth"]

        def wrong_codes(n: int, ip: str) -> None:
            token = begin_login(c, person)
            for i in range(n):
                code = auth.wrong() if i % 2 == 0 else "zzzz-zzzz"   # TOTP and backup-code guesses
                assert code not in person["backup_codes"]
                r = c.post(f"{API}/auth/mfa", json={"mfa_token": token, "code": code}, headers={"X-Forwarded-For": ip})
                assert_mfa_refused(r, f"wrong second factor from {ip}")

        # Nine failures on three tokens, then a complete sign-in: the count starts again.
        for k in range(3):
            wrong_codes(3, f"198.51.100.{k + 1}")
        assert_token_pair(c, mfa(c, begin_login(c, person), auth.fresh()), person, "sign-in after nine failures")

        early = begin_login(c, person)                                  # minted before the lock
        wrong_answer = strip_per_request(assert_mfa_refused(mfa(c, early, auth.wrong()), "one wrong code"))
        for k, n in enumerate((3, 3, 3)):                               # ten failures on four tokens
            wrong_codes(n, f"203.0.113.{k + 1}")

        unknown = strip_per_request(assert_unauthorized(login(c, unique_email("ghost"), "Wrong-" + strong_password()),
                                                        "login with an unknown email"))
        r = login(c, person["email"], person["password"], headers={"X-Forwarded-For": "192.0.2.7"})
        locked = strip_per_request(assert_unauthorized(r, "the right password after ten second-factor failures"))
        assert locked == unknown, f"the locked answer {locked} differs from a wrong login's {unknown}"
        r = mfa(c, early, person["backup_codes"][0])                    # valid, unused
        refused = strip_per_request(assert_mfa_refused(r, "a valid backup code on a token minted before the lock"))
        assert refused == wrong_answer, f"{refused} vs {wrong_answer}"

    actions = [row[0] for row in srv.sql_rows(
        f"SELECT action FROM audit_log WHERE target = '{person['user_id']}' ORDER BY chain, seq")]
    assert "auth.account.locked" in actions, f"the lock was not audited: {actions}"
    proc = srv.run_cli(["audit", "verify"])
    assert proc.returncode == 0, proc.stdout + proc.stderr


# ======================================================================================
# At rest, in the logs, in the audit log
# ======================================================================================

def _db_dump(srv: Server) -> str:
    """Every row of every table of the PostgreSQL database, as JSON text (bytea shows as hex)."""
    tables = [r[0] for r in srv.sql_rows(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")]
    assert "users" in tables, tables
    return "\n".join(srv.sql(f'SELECT row_to_json(t)::text FROM "{t}" t').stdout for t in tables)


def test_secret_and_backup_codes_are_not_stored_in_clear_nor_logged(make_server):
    srv = make_server({"CONCLAVE_RATE_LIMITS": "login=100/1m"})
    person = create_owner(srv, "at-rest@example.com", "AtRest")
    with srv.client() as c:
        pending = enroll(c, person["headers"])["secret"]  # replaced by the next enrol
        enable_totp(c, person)
        t1 = begin_login(c, person)
        assert_token_pair(c, mfa(c, t1, person["auth"].fresh()), person, "TOTP login")
        t2 = begin_login(c, person)
        assert_token_pair(c, mfa(c, t2, person["backup_codes"][0]), person, "backup code login")
        t3 = begin_login(c, person)
        assert_mfa_refused(mfa(c, t3, person["auth"].wrong()), "wrong code")
    assert srv.stop() == 0

    needles: dict[str, str] = {}
    for label, b32 in (("secret", person["secret"]), ("pending secret", pending)):
        raw = base64.b32decode(b32 + "=" * (-len(b32) % 8))
        needles[f"{label} (base32)"] = b32
        needles[f"{label} (base32, lower case)"] = b32.lower()
        needles[f"{label} (hex)"] = binascii.hexlify(raw).decode()
        needles[f"{label} (base64)"] = base64.b64encode(raw).decode().rstrip("=")
        needles[f"{label} (base64url)"] = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        needles[f"{label} (raw bytes)"] = raw  # type: ignore[assignment]
    for i, code in enumerate(person["backup_codes"]):
        needles[f"backup code #{i}"] = code
        needles[f"backup code #{i} (no dash)"] = code.replace("-", "")
    text_needles = {k: v for k, v in needles.items() if isinstance(v, str)}

    if BACKEND == "sqlite":
        hits = find_secrets_in_dir(srv.data_dir, text_needles)
        for label, value in needles.items():
            if isinstance(value, bytes):
                for path in sorted(srv.data_dir.rglob("*")):
                    if path.is_file() and value in path.read_bytes():
                        hits.append(f"{path.relative_to(srv.data_dir)}: {label}")
        assert not hits, "TOTP secret or backup codes stored in clear:\n" + "\n".join(hits)
    else:
        dump = _db_dump(srv)
        hits = [label for label, value in text_needles.items() if value in dump]
        assert not hits, f"TOTP secret or backup codes in the database in clear: {hits}"

    output = srv.output
    log_needles = dict(text_needles, **{"mfa_token #1": t1, "mfa_token #2": t2, "mfa_token #3": t3})
    leaked = [label for label, value in log_needles.items() if value in output]
    assert not leaked, f"server stdout/stderr contains: {leaked}"


def test_audit_records_totp_events_and_verifies(server, new_person, client):
    person = totp_on_person(server, new_person, "audited")
    auth = person["auth"]
    c = client
    token = begin_login(c, person)
    assert_mfa_refused(mfa(c, token, auth.wrong()), "wrong TOTP code")
    r = c.request("DELETE", f"{API}/auth/totp", json={"code": auth.fresh()}, headers=person["headers"])
    assert r.status_code == 204, f"DELETE /auth/totp: {r.status_code} {r.text}"

    uid = person["user_id"]
    actions = {row[0] for row in server.sql_rows(
        f"SELECT action FROM audit_log WHERE target = '{uid}' OR actor_id = '{uid}'")}
    for wanted in ("auth.totp.enabled", "auth.login.mfa_required", "auth.mfa.failed", "auth.totp.disabled"):
        assert wanted in actions, f"no {wanted!r} audit entry for {uid}; have {sorted(actions)}"

    dump = "\n".join("|".join(row) for row in server.sql_rows("SELECT * FROM audit_log"))
    for label, value in (("TOTP secret", person["secret"]), ("mfa_token", token),
                         *((f"backup code #{i}", x) for i, x in enumerate(person["backup_codes"]))):
        assert value not in dump and value.replace("-", "") not in dump, f"the {label} is in the audit log"

    proc = server.run_cli(["audit", "verify"])
    assert proc.returncode == 0, f"conclave audit verify: {proc.returncode}\n{proc.stdout}{proc.stderr}"
