"""CORS with configured origins; /metrics behind a token."""

from __future__ import annotations

import secrets

from conftest import assert_problem

APP = "https://app.example.com"


def test_cors_preflight_allowed_origin(make_server):
    srv = make_server({"CONCLAVE_CORS_ORIGINS": APP})
    with srv.client() as c:
        r = c.options("/api/v1/me", headers={
            "Origin": APP, "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization"})
        assert r.status_code in (200, 204), f"preflight: {r.status_code} {r.text}"
        assert r.headers.get("access-control-allow-origin") == APP, r.headers
        methods = {m.strip().upper() for m in r.headers.get("access-control-allow-methods", "").split(",")}
        assert "GET" in methods, f"Access-Control-Allow-Methods={r.headers.get('access-control-allow-methods')!r}"
        allowed_headers = r.headers.get("access-control-allow-headers", "").lower()
        assert "authorization" in allowed_headers or allowed_headers.strip() == "*", \
            f"Access-Control-Allow-Headers={allowed_headers!r}"

        # An actual request from the allowed origin is answered with ACAO too.
        r = c.get("/health", headers={"Origin": APP})
        assert r.status_code == 200
        assert r.headers.get("access-control-allow-origin") == APP, r.headers
        assert "origin" in r.headers.get("vary", "").lower(), f"Vary={r.headers.get('vary')!r} (ACAO varies by Origin)"


def test_cors_other_origins_get_nothing(make_server):
    srv = make_server({"CONCLAVE_CORS_ORIGINS": APP})
    with srv.client() as c:
        for origin in ("https://evil.example", "https://app.example.com.evil.example", "http://app.example.com", "null"):
            r = c.options("/api/v1/me", headers={"Origin": origin, "Access-Control-Request-Method": "GET"})
            assert "access-control-allow-origin" not in r.headers, f"preflight from {origin}: {dict(r.headers)}"
            r = c.get("/health", headers={"Origin": origin})
            assert "access-control-allow-origin" not in r.headers, f"GET from {origin}: {dict(r.headers)}"


def test_metrics_token(make_server):
    token = secrets.token_urlsafe(32)
    assert len(token) >= 32
    srv = make_server({"CONCLAVE_METRICS_TOKEN": token})
    with srv.client() as c:
        r = c.get("/metrics")
        assert_problem(r, 401)
        r = c.get("/metrics", headers={"Authorization": "Bearer " + secrets.token_urlsafe(32)})
        assert_problem(r, 401)
        r = c.get("/metrics", headers={"Authorization": "Bearer " + token[:-1]})
        assert_problem(r, 401)
        r = c.get("/metrics", headers={"Authorization": "Basic " + token})
        assert r.status_code == 401, r.status_code
        r = c.get("/metrics", headers={"Authorization": "Bearer " + token})
        assert r.status_code == 200, r.text[:300]
        assert r.headers.get("content-type", "").startswith("text/plain")
        assert "# TYPE " in r.text
        assert token not in r.text
