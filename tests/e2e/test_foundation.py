"""Baseline HTTP behaviour of the server: health, security headers, errors, body limits,
login basics, OpenAPI. Shares one server per module (login limit raised, see conftest)."""

from __future__ import annotations

import json
import socket
import select

import httpx
import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from conftest import assert_problem, check_security_header_map, strip_per_request, strong_password

MIB = 1024 * 1024


# ---------------------------------------------------------------------------- health

def test_health(client):
    r = client.get("/health")
    assert r.status_code == 200, r.text
    assert r.headers.get("content-type", "").startswith("application/json")
    assert r.json() == {"status": "ok"}


def test_health_ready(client):
    r = client.get("/health/ready")
    assert r.status_code == 200, r.text


# ---------------------------------------------------------------------------- headers

SECURITY_HEADER_REQUESTS = [
    ("GET", "/health", None, None),                                  # 200
    ("GET", "/health/ready", None, None),                            # 200
    ("GET", "/no/such/route", None, None),                           # 404
    ("GET", "/api/v1/me", None, None),                               # 401
    ("DELETE", "/health", None, None),                               # 405
    ("POST", "/api/v1/auth/login", {"content-type": "text/plain"}, b"x"),          # 415
    ("POST", "/api/v1/auth/login", {"content-type": "application/json"}, b"{"),    # 400
    ("POST", "/api/v1/auth/login", {"content-type": "application/json"}, b"{}"),   # 422
    ("GET", "/openapi.json", None, None),                            # 200
]


def check_security_headers(r: httpx.Response) -> None:
    check_security_header_map(r.headers, f"{r.request.method} {r.request.url.path} -> {r.status_code}")


def test_security_headers_on_every_response(client):
    seen_ids = []
    statuses = []
    for method, path, headers, body in SECURITY_HEADER_REQUESTS:
        r = client.request(method, path, headers=headers, content=body)
        statuses.append(r.status_code)
        check_security_headers(r)
        seen_ids.append(r.headers["x-request-id"])
    assert statuses == [200, 200, 404, 401, 405, 415, 400, 422, 200], statuses
    assert len(set(seen_ids)) == len(seen_ids), f"X-Request-Id repeated: {seen_ids}"


def test_request_ids_unique(client):
    ids = [client.get("/health").headers.get("x-request-id") for _ in range(5)]
    assert all(ids) and len(set(ids)) == 5, ids


# ---------------------------------------------------------------------------- routing errors

@pytest.mark.parametrize("method,path", [("GET", "/no/such/route"), ("GET", "/api/v1/nope"), ("POST", "/api/v2/anything")])
def test_unknown_route_is_404_problem(client, method, path):
    r = client.request(method, path)
    assert_problem(r, 404)


@pytest.mark.parametrize("method,path,allowed", [
    ("DELETE", "/health", "GET"),
    ("PUT", "/api/v1/auth/login", "POST"),
])
def test_wrong_method_is_405_with_allow(client, method, path, allowed):
    r = client.request(method, path, json={} if method == "PUT" else None)
    assert_problem(r, 405)
    allow = r.headers.get("allow")
    assert allow, "405 without an Allow header"
    methods = {m.strip().upper() for m in allow.split(",")}
    assert allowed in methods, f"Allow: {allow!r} does not list {allowed}"
    assert method not in methods, f"Allow: {allow!r} lists the refused method {method}"


# ---------------------------------------------------------------------------- authentication errors

@pytest.mark.parametrize("authorization", [
    None,
    "Bearer garbage",
    "Bearer ck_garbage",
    "Bearer ck_" + "A" * 43,
    "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c3JfeHh4eHh4eHh4eHh4In0.c2lnbmF0dXJl",
    "Basic b3duZXJAZXhhbXBsZS5jb206cGFzc3dvcmQ=",
    "Bearer",
])
def test_me_without_valid_credentials_is_401(client, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    r = client.get("/api/v1/me", headers=headers)
    assert_problem(r, 401)
    www = r.headers.get("www-authenticate", "")
    assert www.startswith("Bearer"), f"WWW-Authenticate={www!r}"


def test_unsigned_jwt_is_refused(client, owner):
    """A token with alg=none carrying the owner's real user id must not authenticate."""
    import base64

    def b64(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    token = b64({"alg": "none", "typ": "JWT"}) + "." + b64({"sub": owner["user_id"], "sid": owner["session_id"]}) + "."
    r = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert_problem(r, 401)


# ---------------------------------------------------------------------------- login & me

def test_login_and_me(client, owner):
    assert owner["token_type"] == "Bearer"
    assert owner["expires_in"] == 900
    assert isinstance(owner["access_token"], str) and owner["access_token"].count(".") == 2, "access token is not a JWT"
    assert isinstance(owner["refresh_token"], str) and len(owner["refresh_token"]) >= 32
    assert owner["session_id"].startswith("ses_"), owner["session_id"]
    r = client.get("/api/v1/me", headers=owner["headers"])
    assert r.status_code == 200, r.text
    me = r.json()
    assert me["id"] == owner["user_id"]
    assert me["kind"] == "human"
    assert me["email"] == owner["email"]
    assert {"id": owner["workspace_id"], "role": "owner"} in [
        {"id": w.get("id"), "role": w.get("role")} for w in me["workspaces"]], me


def test_login_malformed_json_is_400(client):
    for body in (b"{", b'{"email": "a@example.com", "password": }', b"not json at all", b'{"email":"a@example.com"'):
        r = client.post("/api/v1/auth/login", content=body, headers={"Content-Type": "application/json"})
        assert_problem(r, 400)


@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_login_wrong_content_type_is_415(client, ctype):
    body = b'{"email":"owner@example.com","password":"x"}' if ctype != "application/x-www-form-urlencoded" \
        else b"email=owner%40example.com&password=x"
    r = client.post("/api/v1/auth/login", content=body, headers={"Content-Type": ctype})
    assert_problem(r, 415)


@pytest.mark.parametrize("payload,field", [
    ({"email": 5, "password": "whatever-password"}, "email"),
    ({"email": "someone@example.com"}, "password"),
    ({"password": "whatever-password"}, "email"),
    ({"email": "someone@example.com", "password": None}, "password"),
])
def test_login_invalid_fields_are_422_with_field_errors(client, payload, field):
    r = client.post("/api/v1/auth/login", json=payload)
    body = assert_problem(r, 422)
    errors = body.get("errors")
    assert isinstance(errors, list) and errors, f"422 without errors[]: {body}"
    for e in errors:
        assert isinstance(e, dict) and isinstance(e.get("field"), str) and isinstance(e.get("message"), str), e
        assert e["message"], e
    assert any(e["field"] == field or e["field"].endswith("/" + field) or e["field"].endswith("." + field)
               for e in errors), f"no error names field {field!r}: {errors}"


def test_login_json_array_is_422_or_400(client):
    r = client.post("/api/v1/auth/login", json=["owner@example.com", "x"])
    assert r.status_code in (400, 422), r.text
    assert_problem(r, r.status_code)


def test_wrong_password_and_unknown_email_look_the_same(client, owner):
    r1 = client.post("/api/v1/auth/login", json={"email": owner["email"], "password": "wrong-" + strong_password()})
    r2 = client.post("/api/v1/auth/login", json={"email": "nobody-" + owner["user_id"].lower() + "@example.com",
                                                 "password": "wrong-" + strong_password()})
    b1 = assert_problem(r1, 401)
    b2 = assert_problem(r2, 401)
    assert strip_per_request(b1) == strip_per_request(b2), f"bodies differ:\n{b1}\n{b2}"
    assert r1.headers.get("www-authenticate") == r2.headers.get("www-authenticate")
    assert r1.headers.get("content-type") == r2.headers.get("content-type")


def test_owner_email_is_case_insensitive_or_refused_equally(client, owner):
    """Logging in with the right password but the e-mail in upper case either works or fails
    exactly like an unknown account (never a distinguishable error)."""
    r = client.post("/api/v1/auth/login", json={"email": owner["email"].upper(), "password": owner["password"]})
    assert r.status_code in (200, 401), r.text


# ---------------------------------------------------------------------------- body limits

def _raw_request(host: str, port: int, head: bytes, body_pieces, timeout: float = 20.0) -> tuple[int, dict, bytes]:
    """Send a request over a raw socket, stopping early if the server answers (or resets)
    while the body is still being sent; returns (status, headers, body)."""
    sock = socket.create_connection((host, port), timeout=timeout)
    try:
        sock.sendall(head)
        try:
            for piece in body_pieces:
                readable, _, _ = select.select([sock], [], [], 0)
                if readable:
                    break
                sock.sendall(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        except ConnectionResetError:
            pass
        assert b"\r\n\r\n" in data, f"no HTTP response (got {data[:200]!r})"
        head_bytes, _, rest = data.partition(b"\r\n\r\n")
        lines = head_bytes.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        return status, headers, rest
    finally:
        sock.close()


def _big_json(size: int) -> bytes:
    return b'{"email":"a@example.com","password":"' + b"p" * size + b'"}'


def test_body_over_1mib_with_content_length_is_413(server):
    body = _big_json(2 * MIB)
    with server.client() as c:
        try:
            r = c.post("/api/v1/auth/login", content=body, headers={"Content-Type": "application/json"})
            status, text, headers = r.status_code, r.text, dict(r.headers)
            if status == 413:
                assert_problem(r, 413)
        except httpx.TransportError:
            # The server answered before reading the body and the socket was reset under
            # httpx's feet; read the answer over a raw socket instead.
            head = (f"POST /api/v1/auth/login HTTP/1.1\r\nHost: {server.host}:{server.port}\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
            status, headers, raw = _raw_request(server.host, server.port, head,
                                                (body[i:i + 65536] for i in range(0, len(body), 65536)))
            text = raw.decode(errors="replace")
    assert status == 413, f"expected 413, got {status}: {text[:300]}"
    check_security_header_map(headers, "POST /api/v1/auth/login (2 MiB, Content-Length) -> 413")
    with server.client() as c:
        assert c.get("/health").status_code == 200, "server stopped serving after a 413"


def test_chunked_body_over_1mib_is_413(server):
    piece = b"p" * 65536

    def gen():
        yield b'{"email":"a@example.com","password":"'
        for _ in range(32):  # 2 MiB
            yield piece
        yield b'"}'

    with server.client() as c:
        try:
            r = c.post("/api/v1/auth/login", content=gen(), headers={"Content-Type": "application/json"})
            assert "content-length" not in {k.lower() for k in r.request.headers.keys()}, "httpx sent Content-Length"
            status, text, headers = r.status_code, r.text, dict(r.headers)
            if status == 413:
                assert_problem(r, 413)
        except httpx.TransportError:
            def chunks():
                for part in gen():
                    yield f"{len(part):x}\r\n".encode() + part + b"\r\n"
                yield b"0\r\n\r\n"
            head = (f"POST /api/v1/auth/login HTTP/1.1\r\nHost: {server.host}:{server.port}\r\n"
                    "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n").encode()
            status, headers, raw = _raw_request(server.host, server.port, head, chunks())
            text = raw.decode(errors="replace")
    assert status == 413, f"expected 413, got {status}: {text[:300]}"
    check_security_header_map(headers, "POST /api/v1/auth/login (2 MiB, chunked) -> 413")
    with server.client() as c:
        assert c.get("/health").status_code == 200, "server stopped serving after a chunked 413"


def test_body_just_under_1mib_is_not_413(client):
    """A body under the limit is read and judged on its merits (401 for bad credentials)."""
    body = _big_json(MIB - 1024)
    r = client.post("/api/v1/auth/login", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code != 413, "a body under 1 MiB was refused as too large"
    assert r.status_code in (401, 422), r.text[:300]


# ---------------------------------------------------------------------------- CORS (defaults)

def test_default_config_sends_no_cors_headers(client):
    for origin in ("https://app.example.com", "https://evil.example", "null"):
        pre = client.options("/api/v1/me", headers={"Origin": origin, "Access-Control-Request-Method": "GET"})
        assert "access-control-allow-origin" not in pre.headers, f"preflight from {origin}: {pre.headers}"
        get = client.get("/health", headers={"Origin": origin})
        assert "access-control-allow-origin" not in get.headers, f"GET from {origin}: {get.headers}"
        assert "access-control-allow-credentials" not in get.headers


# ---------------------------------------------------------------------------- metrics (loopback)

def test_metrics_served_to_loopback(client):
    import secrets as _secrets
    marker = "zz" + _secrets.token_hex(6)
    client.get("/health")
    client.get(f"/no/such/{marker}")
    r = client.get("/metrics")
    assert r.status_code == 200, r.text[:300]
    assert r.headers.get("content-type", "").startswith("text/plain"), r.headers.get("content-type")
    lines = [l for l in r.text.splitlines() if l.strip()]
    assert any(l.startswith("# TYPE ") for l in lines), r.text[:500]
    samples = [l for l in lines if not l.startswith("#")]
    assert samples, "no samples in /metrics"
    # Requests by route and status, and a latency histogram.
    assert any('status="200"' in l and "/health" in l for l in samples), \
        "no request counter labelled with the /health route and status 200"
    assert any("_bucket{" in l and "le=" in l for l in samples), "no latency histogram"
    # Unmatched paths must not become label values (unbounded cardinality).
    assert marker not in r.text, "a raw unmatched request path became a metrics label"


# ---------------------------------------------------------------------------- OpenAPI

@pytest.fixture(scope="module")
def openapi(server):
    with server.client() as c:
        r = c.get("/openapi.json")
    assert r.status_code == 200, r.text[:300]
    assert r.headers.get("content-type", "").startswith("application/json") or \
        r.headers.get("content-type", "").startswith("application/vnd.oai.openapi+json"), r.headers.get("content-type")
    return r.json()


def test_openapi_is_valid_3_1(openapi):
    assert str(openapi.get("openapi", "")).startswith("3.1"), openapi.get("openapi")
    validate(openapi, cls=OpenAPIV31SpecValidator)


def test_openapi_documents_the_foundation(openapi):
    paths = openapi.get("paths", {})
    for p in ("/health", "/health/ready", "/openapi.json", "/api/v1/auth/login", "/api/v1/me"):
        assert p in paths, f"{p} missing from OpenAPI paths ({sorted(paths)})"
    assert "post" in paths["/api/v1/auth/login"]
    assert "get" in paths["/api/v1/me"]


def test_served_openapi_matches_docs(openapi):
    """/openapi.json is docs/openapi.yaml (embedded at build time): a stale copy is a bug."""
    import yaml
    from conftest import REPO

    doc = REPO / "docs" / "openapi.yaml"
    if not doc.exists():
        pytest.skip("no docs/openapi.yaml in this checkout")
    source = yaml.safe_load(doc.read_text(encoding="utf-8"))
    if source == openapi:
        return
    served_paths, source_paths = set(openapi.get("paths", {})), set(source.get("paths", {}))
    assert served_paths == source_paths, (
        f"/openapi.json is stale: paths only in docs/openapi.yaml: {sorted(source_paths - served_paths)}; "
        f"only served: {sorted(served_paths - source_paths)}")
    differing = sorted(p for p in source_paths if source["paths"][p] != openapi["paths"][p])
    assert not differing, f"/openapi.json differs from docs/openapi.yaml at {differing}"
    assert source == openapi, "/openapi.json differs from docs/openapi.yaml outside paths"


def _needs_auth(spec: dict, op: dict) -> bool:
    sec = op.get("security", spec.get("security"))
    if not sec:
        return False
    return not any(req == {} for req in sec)


def test_openapi_public_get_paths_exist(server, openapi):
    checked = []
    with server.client() as c:
        for path, item in openapi.get("paths", {}).items():
            if "{" in path or "get" not in item:
                continue
            if _needs_auth(openapi, item["get"]):
                continue
            r = c.get(path)
            checked.append((path, r.status_code))
            assert r.status_code != 404, f"OpenAPI documents GET {path} but the server answers 404"
    assert {"/health", "/health/ready", "/openapi.json"} <= {p for p, _ in checked}, checked
