"""Login rate limiting per client IP, RateLimit-* headers, X-Forwarded-For trust."""

from __future__ import annotations

import re
import secrets

from conftest import assert_problem, check_security_header_map, create_owner

LOGIN = "/api/v1/auth/login"


def attempt(client, ip: str | None = None):
    """One failed login for a never-seen account (so the per-account limit never interferes)."""
    headers = {"X-Forwarded-For": ip} if ip else {}
    return client.post(LOGIN, headers=headers, json={
        "email": f"nobody-{secrets.token_hex(4)}@example.com", "password": "wrong-" + secrets.token_hex(8)})


def first_int(value: str | None, name: str) -> int:
    assert value is not None, f"missing {name} header"
    m = re.match(r"\s*(\d+)", value)
    assert m, f"{name}: {value!r} does not start with an integer"
    return int(m.group(1))


def check_ratelimit_headers(r, limit: int) -> tuple[int, int]:
    lim = first_int(r.headers.get("ratelimit-limit"), "RateLimit-Limit")
    rem = first_int(r.headers.get("ratelimit-remaining"), "RateLimit-Remaining")
    reset = first_int(r.headers.get("ratelimit-reset"), "RateLimit-Reset")
    assert lim == limit, f"RateLimit-Limit {lim} != {limit}"
    assert 0 <= rem <= limit, f"RateLimit-Remaining {rem} outside 0..{limit}"
    assert 0 <= reset <= 60, f"RateLimit-Reset {reset} is not a delta of at most a minute"
    return rem, reset


def check_429(r):
    assert_problem(r, 429)
    retry = r.headers.get("retry-after")
    assert retry is not None, "429 without Retry-After"
    assert retry.strip().isdigit() and 1 <= int(retry) <= 60, f"Retry-After={retry!r}"
    rem, _ = check_ratelimit_headers(r, first_int(r.headers.get("ratelimit-limit"), "RateLimit-Limit"))
    assert rem == 0, f"RateLimit-Remaining on a 429 is {rem}"
    check_security_header_map(r.headers, "429")


def test_default_login_limit_is_5_per_minute(make_server):
    srv = make_server()
    with srv.client() as c:
        remaining = []
        for i in range(5):
            r = attempt(c)
            assert r.status_code == 401, f"attempt {i + 1}: {r.status_code} {r.text}"
            rem, _ = check_ratelimit_headers(r, 5)
            remaining.append(rem)
        assert remaining == sorted(remaining, reverse=True) and remaining[0] > remaining[-1], \
            f"RateLimit-Remaining does not count down: {remaining}"
        r = attempt(c)
        assert r.status_code == 429, f"6th login attempt within a minute: {r.status_code} {r.text}"
        check_429(r)
        # Still limited, and not only for unknown accounts.
        r = c.post(LOGIN, json={"email": "owner@example.com", "password": "whatever-password"})
        assert r.status_code == 429, r.text
        # Other routes are unaffected.
        assert c.get("/health").status_code == 200


def test_login_limit_override(make_server):
    srv = make_server({"CONCLAVE_RATE_LIMITS": "login=2/1m"})
    with srv.client() as c:
        for i in range(2):
            r = attempt(c)
            assert r.status_code == 401, f"attempt {i + 1}: {r.status_code} {r.text}"
            check_ratelimit_headers(r, 2)
        r = attempt(c)
        assert r.status_code == 429, f"3rd attempt with login=2/1m: {r.status_code} {r.text}"
        check_429(r)


def test_x_forwarded_for_ignored_without_trusted_proxies(make_server):
    srv = make_server({"CONCLAVE_RATE_LIMITS": "login=2/1m"})
    with srv.client() as c:
        assert attempt(c, "203.0.113.1").status_code == 401
        assert attempt(c, "203.0.113.2").status_code == 401
        r = attempt(c, "203.0.113.3")
        assert r.status_code == 429, f"a new X-Forwarded-For escaped the limit: {r.status_code} {r.text}"
        r = attempt(c)
        assert r.status_code == 429, f"without X-Forwarded-For: {r.status_code}"


def test_x_forwarded_for_honoured_from_trusted_proxy(make_server):
    srv = make_server({"CONCLAVE_RATE_LIMITS": "login=2/1m", "CONCLAVE_TRUSTED_PROXIES": "127.0.0.1/32"})
    with srv.client() as c:
        assert attempt(c, "203.0.113.10").status_code == 401
        assert attempt(c, "203.0.113.10").status_code == 401
        r = attempt(c, "203.0.113.10")
        assert r.status_code == 429, f"3rd attempt from the same forwarded client: {r.status_code} {r.text}"
        r = attempt(c, "203.0.113.11")
        assert r.status_code == 401, f"another forwarded client was limited too: {r.status_code} {r.text}"
        r = attempt(c, "198.51.100.7, 203.0.113.12")
        assert r.status_code == 401, f"a third forwarded client was limited: {r.status_code} {r.text}"


def test_password_change_attempts_are_limited_like_logins_per_account(make_server):
    """A stolen session must not become an unlimited oracle for the current password: wrong
    current_password attempts are refused (403) and the sixth within a minute is 429, even with
    the right password, while the account's other requests go on."""
    srv = make_server()
    owner = create_owner(srv, "pw-limit@example.com", "PwLimit")
    with srv.client() as c:
        for i in range(5):
            r = c.post("/api/v1/auth/password", headers=owner["headers"],
                       json={"current_password": "wrong-" + secrets.token_hex(8), "new_password": "Another-" + secrets.token_urlsafe(16)})
            assert r.status_code == 403, f"wrong current password, attempt {i + 1}: {r.status_code} {r.text}"
        r = c.post("/api/v1/auth/password", headers=owner["headers"],
                   json={"current_password": owner["password"], "new_password": "Another-" + secrets.token_urlsafe(16)})
        assert r.status_code == 429, f"6th password change within a minute: {r.status_code} {r.text}"
        check_429(r)
        assert c.get("/api/v1/me", headers=owner["headers"]).status_code == 200
