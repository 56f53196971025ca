"""Contract v1.1 "Refresh in the browser": with `X-Conclave-Client: browser`, sign-in answers carry
no refresh token in the body; it is the cookie `conclave_refresh` (HttpOnly, SameSite=Strict,
Path=/api/v1/auth, Secure over TLS), which `POST /auth/refresh` accepts only with the same header
and a same-origin `Origin`; reuse of a spent cookie revokes the session; logout clears it.
Checked with httpx's own cookie parsing (an independent client)."""

from __future__ import annotations

import uuid
from http.cookies import SimpleCookie

import httpx

from conftest import assert_problem, create_owner
from helpers_identity import create_invite_ok

API = "/api/v1"
BROWSER = {"X-Conclave-Client": "browser"}


def set_cookie(r: httpx.Response) -> SimpleCookie:
    lines = r.headers.get_list("set-cookie")
    assert len(lines) == 1, f"expected one Set-Cookie, got {lines}"
    jar = SimpleCookie()
    jar.load(lines[0])
    assert "conclave_refresh" in jar, lines
    return jar


def refresh_cookie(r: httpx.Response) -> str:
    morsel = set_cookie(r)["conclave_refresh"]
    raw = r.headers["set-cookie"].lower()
    assert "httponly" in raw and "samesite=strict" in raw and morsel["path"] == "/api/v1/auth", raw
    assert "secure" not in raw.split("; "), "Secure on a plain-HTTP server would make browsers drop it"
    assert morsel.value.startswith("crt_") and int(morsel["max-age"]) > 0, raw
    return morsel.value


def browser_refresh(c: httpx.Client, origin: str | None, cookie: str | None, **extra_headers) -> httpx.Response:
    c.cookies.clear()  # httpx keeps cookies; each call here sends exactly the one it is given
    headers = dict(BROWSER, **extra_headers)
    if origin is not None:
        headers["Origin"] = origin
    if cookie is not None:
        headers["Cookie"] = f"conclave_refresh={cookie}"
    return c.post(f"{API}/auth/refresh", headers=headers)


def test_a_browser_signs_in_and_refreshes_with_the_cookie_only(server):
    owner = create_owner(server, f"browser-{uuid.uuid4().hex[:8]}@example.com", "Browser")
    origin = server.base_url.rstrip("/")
    with server.client() as c:
        r = c.post(f"{API}/auth/login", json={"email": owner["email"], "password": owner["password"]}, headers=BROWSER)
        assert r.status_code == 200, r.text
        assert "refresh_token" not in r.json() and r.json()["access_token"], r.json()
        first = refresh_cookie(r)
        assert first not in r.text

        r = browser_refresh(c, origin, first)
        assert r.status_code == 200, r.text
        assert "refresh_token" not in r.json()
        second = refresh_cookie(r)
        assert second != first
        me = c.get(f"{API}/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"})
        assert me.status_code == 200 and me.json()["id"] == owner["user_id"], me.text

        # the spent cookie again: reuse, so the whole session is revoked
        assert_problem(browser_refresh(c, origin, first), 401)
        assert_problem(browser_refresh(c, origin, second), 401)

        # a client that does not say it is a browser gets the token in the body, and no cookie
        r = c.post(f"{API}/auth/login", json={"email": owner["email"], "password": owner["password"]})
        assert r.status_code == 200 and r.json()["refresh_token"].startswith("crt_")
        assert "set-cookie" not in r.headers


def test_the_cookie_needs_the_header_and_this_servers_origin(server):
    owner = create_owner(server, f"browser-{uuid.uuid4().hex[:8]}@example.com", "Browser")
    origin = server.base_url.rstrip("/")
    with server.client() as c:
        r = c.post(f"{API}/auth/login", json={"email": owner["email"], "password": owner["password"]}, headers=BROWSER)
        token = refresh_cookie(r)

        for other in ("https://evil.example", origin.replace("http://", "https://"), origin + "/x", "null"):
            assert_problem(browser_refresh(c, other, token), 403)
        assert_problem(browser_refresh(c, None, token), 403)
        # without the header the cookie counts for nothing: the body must carry a token
        c.cookies.clear()
        r = c.post(f"{API}/auth/refresh", json={}, headers={"Origin": origin, "Cookie": f"conclave_refresh={token}"})
        assert [e["field"] for e in assert_problem(r, 422)["errors"]] == ["refresh_token"], r.text
        # no cookie, or two of them, is not a refresh
        assert_problem(browser_refresh(c, origin, None), 401)
        c.cookies.clear()
        r = c.post(f"{API}/auth/refresh", headers=dict(BROWSER, Origin=origin,
                                                      Cookie=f"conclave_refresh={token}; conclave_refresh=crt_planted"))
        assert_problem(r, 401)

        # none of those refusals spent the token
        r = browser_refresh(c, origin, token)
        assert r.status_code == 200, r.text


def test_logout_clears_the_cookie_and_invite_sign_up_sets_it(server):
    owner = create_owner(server, f"browser-{uuid.uuid4().hex[:8]}@example.com", "Browser")
    origin = server.base_url.rstrip("/")
    with server.client() as c:
        invite = create_invite_ok(c, owner["headers"], owner["workspace_id"], "member")
        r = c.post(f"{API}/invites/{invite['token']}/accept", headers=BROWSER, json={
            "email": f"newcomer-{uuid.uuid4().hex[:8]}@example.com", "password": "Corr3ct-Horse-Battery-Staple", "name": "New Person"})
        assert r.status_code == 201, r.text
        assert "refresh_token" not in r.json() and r.json()["access_token"]
        token = refresh_cookie(r)

        r = c.post(f"{API}/auth/logout", headers={"Authorization": f"Bearer {r.json()['access_token']}", **BROWSER})
        assert r.status_code == 204, r.text
        cleared = set_cookie(r)["conclave_refresh"]
        assert cleared.value == "" and cleared["max-age"] == "0" and cleared["path"] == "/api/v1/auth", r.headers["set-cookie"]
        # ASVS V14.3.1: the browser drops what it cached or stored while signed in.
        assert r.headers.get("clear-site-data") == '"cache", "storage"', r.headers
        assert_problem(browser_refresh(c, origin, token), 401)
