"""The web console as the binary serves it (issue 14, contract v1.1 "Web console"), checked with
plain HTTP: every console response carries the console's Content-Security-Policy (the contract's,
plus `trusted-types 'none'`) and the other security headers; the API keeps its own `default-src
'none'` policy; files are served gzip-compressed when asked and plain otherwise (the same bytes),
revalidated with ETag; unknown files are 404 problem+json; the first load stays within 150 KB
transferred; the embedded copy is not stale; and no console source uses an HTML or eval sink or
web storage (a static check beside the CSP, which would refuse them at run time)."""

from __future__ import annotations

import gzip
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from conftest import REPO, assert_problem, check_security_header_map

WEB = REPO / "Sources" / "ConclaveServer" / "Console" / "web"
PAGES = ("/", "/invite")

# Contract v1.1, "Web console": the policy of the console's pages, directive by directive.
CONTRACT_CSP = {
    "default-src": ["'none'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "blob:", "data:"],
    "connect-src": ["'self'"],
    "font-src": ["'self'"],
    "manifest-src": ["'self'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
    "require-trusted-types-for": ["'script'"],
}
# "Or stricter": directives the server may add that only take permissions away.
STRICTER = {"trusted-types": ["'none'"]}
API_CSP = {"default-src": ["'none'"], "frame-ancestors": ["'none'"], "base-uri": ["'none'"],
           "form-action": ["'none'"]}

FIRST_LOAD_BUDGET = 150 * 1024
FORBIDDEN_IN_SOURCES = ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                        "new Function", "localStorage", "sessionStorage")

# What a page or module loads: <script src>, <link href>, static and dynamic imports, CSS url().
HTML_REFS = re.compile(r"""<(?:script|link)\b[^>]*?\b(?:src|href)\s*=\s*["']([^"']+)["']""", re.I)
JS_REFS = re.compile(r"""(?:\bimport\b[^'"();]*?\bfrom\s*|\bimport\s*\(?\s*|\bexport\b[^'";]*?\bfrom\s*)["']([^"']+)["']""")
CSS_REFS = re.compile(r"""url\(\s*["']?([^"')]+)["']?\s*\)|@import\s+["']([^"']+)["']""")


def console_files() -> list[str]:
    files = sorted(p.name for p in WEB.iterdir() if p.is_file() and p.name != "index.html")
    assert files, f"no console files under {WEB}"
    return files


def parse_csp(value: str) -> dict[str, list[str]]:
    policy: dict[str, list[str]] = {}
    for part in value.split(";"):
        tokens = part.split()
        if tokens:
            name = tokens[0].lower()
            assert name not in policy, f"directive {name} twice in {value!r}"
            policy[name] = tokens[1:]
    return policy


def assert_console_headers(r: httpx.Response, where: str) -> None:
    check_security_header_map(r.headers, where)
    policy = parse_csp(r.headers["content-security-policy"])
    for name, sources in CONTRACT_CSP.items():
        assert policy.get(name) == sources, \
            f"{where}: CSP {name} is {policy.get(name)!r}, the contract says {sources!r} ({r.headers['content-security-policy']!r})"
    extra = {name: sources for name, sources in policy.items() if name not in CONTRACT_CSP}
    for name, sources in extra.items():
        assert STRICTER.get(name) == sources, f"{where}: CSP adds {name} {sources!r}, not a known tightening"


def get(c: httpx.Client, path: str, **headers) -> httpx.Response:
    return c.get(path, headers={"Accept-Encoding": "identity", **headers})


def raw_gzip(c: httpx.Client, path: str) -> tuple[httpx.Response, bytes]:
    """The response to a gzip-accepting request and its body exactly as sent (not decoded)."""
    with c.stream("GET", path, headers={"Accept-Encoding": "gzip"}) as r:
        body = b"".join(r.iter_raw())
    return r, body


def references(path: str, text: str) -> list[str]:
    """Absolute paths of what the file at `path` loads (same origin only)."""
    if path.endswith(".js"):
        found = JS_REFS.findall(text)
    elif path.endswith(".css"):
        found = [a or b for a, b in CSS_REFS.findall(text)]
    else:
        found = HTML_REFS.findall(text)
    base = path if path.startswith("/console/") else "/console/"
    resolved = []
    for ref in found:
        if ref.startswith(("data:", "blob:", "#")):
            continue
        assert not re.match(r"^[a-z][a-z0-9+.-]*:|^//", ref, re.I), f"{path} loads {ref} from another origin"
        url = httpx.URL("http://console.test" + base).join(ref)
        resolved.append(url.path)
    return resolved


# ----------------------------------------------------------------------------------------------

def test_console_pages_and_files_carry_the_console_csp_and_security_headers(client):
    for page in PAGES:
        r = get(client, page)
        assert r.status_code == 200, f"{page}: {r.status_code} {r.text[:200]}"
        assert r.headers["content-type"].split(";")[0].strip() == "text/html", f"{page}: {r.headers['content-type']}"
        assert "<script" in r.text and "<main" in r.text, f"{page} is not the console's page: {r.text[:200]}"
        assert_console_headers(r, page)
    assert get(client, "/").content == get(client, "/invite").content, "/invite is not the same shell page as /"
    expected_types = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
    for name in console_files():
        r = get(client, f"/console/{name}")
        assert r.status_code == 200, f"/console/{name}: {r.status_code}"
        assert r.content == (WEB / name).read_bytes(), f"/console/{name} differs from {WEB / name}"
        suffix = Path(name).suffix
        if suffix in expected_types:
            assert r.headers["content-type"].split(";")[0].strip() == expected_types[suffix], \
                f"/console/{name}: {r.headers['content-type']}"
        assert_console_headers(r, f"/console/{name}")


def test_the_api_keeps_its_own_policy(client):
    for path, status in (("/api/v1/me", 401), ("/health", 200), ("/api/v1/nope", 404)):
        r = get(client, path)
        assert r.status_code == status, f"{path}: {r.status_code}"
        assert parse_csp(r.headers["content-security-policy"]) == API_CSP, \
            f"{path}: CSP {r.headers['content-security-policy']!r}, want the API's own"


def test_gzip_when_asked_identity_otherwise_same_bytes(client):
    for path in ("/", *(f"/console/{name}" for name in console_files())):
        plain = get(client, path)
        assert plain.status_code == 200 and "content-encoding" not in plain.headers, \
            f"{path} without Accept-Encoding: {plain.status_code} {plain.headers.get('content-encoding')}"
        r, body = raw_gzip(client, path)
        assert r.status_code == 200, f"{path}: {r.status_code}"
        assert r.headers.get("content-encoding") == "gzip", f"{path}: Content-Encoding {r.headers.get('content-encoding')!r}"
        assert "accept-encoding" in r.headers.get("vary", "").lower(), f"{path}: Vary {r.headers.get('vary')!r}"
        assert "accept-encoding" in plain.headers.get("vary", "").lower(), f"{path}: Vary {plain.headers.get('vary')!r} on identity"
        assert gzip.decompress(body) == plain.content, f"{path}: gzip body does not decompress to the plain one"
        assert len(body) < len(plain.content) or len(plain.content) < 512, f"{path}: gzip is not smaller"
        assert_console_headers(r, f"{path} (gzip)")
    refused = get(client, "/console/app.js", **{"Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers, "gzip;q=0 still got gzip"


def test_etag_revalidation_answers_304(client):
    for path in ("/", "/invite", "/console/app.js"):
        r = get(client, path)
        etag = r.headers.get("etag")
        assert etag and etag.startswith('"') and etag.endswith('"'), f"{path}: ETag {etag!r}"
        again = get(client, path, **{"If-None-Match": etag})
        assert again.status_code == 304, f"{path} with its ETag: {again.status_code}"
        assert again.content == b"" and again.headers.get("etag") == etag, f"{path}: 304 body or ETag"
        listed = get(client, path, **{"If-None-Match": f'"other", {etag}'})
        assert listed.status_code == 304, f"{path} with its ETag in a list: {listed.status_code}"
        other = get(client, path, **{"If-None-Match": '"not-this-one"'})
        assert other.status_code == 200 and other.content == r.content, f"{path} with another ETag: {other.status_code}"
    assert get(client, "/").headers["etag"] != get(client, "/console/app.js").headers["etag"]


def test_unknown_console_files_are_404_problems(client):
    for path in ("/console/nope.js", "/console/index.html", "/console/", "/console/..%2FPackage.swift",
                 "/console/%2e%2e%2f%2e%2e%2fPackage.swift", "/console/app.js.map"):
        r = get(client, path)
        assert_problem(r, 404)


def test_first_load_is_at_most_150_kb_gzip(client):
    """index.html and everything it loads, transitively, as transferred with gzip."""
    seen: dict[str, int] = {}
    queue = ["/"]
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        r, body = raw_gzip(client, path)
        assert r.status_code == 200, f"{path} (loaded by the console) is {r.status_code}"
        seen[path] = len(body) + sum(len(k) + len(v) + 4 for k, v in r.headers.items())
        text = gzip.decompress(body).decode("utf-8") if r.headers.get("content-encoding") == "gzip" else body.decode()
        queue += [ref for ref in references(path if path != "/" else "/index.html", text) if ref not in seen]
    total = sum(seen.values())
    assert "/console/app.js" in seen or any(p.endswith(".js") for p in seen), f"no script loaded: {sorted(seen)}"
    assert total <= FIRST_LOAD_BUDGET, \
        f"first load transfers {total} bytes > {FIRST_LOAD_BUDGET}: " + ", ".join(f"{p} {n}" for p, n in sorted(seen.items()))


def test_embedded_console_is_not_stale():
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "gen-console"), "--check"], cwd=REPO,
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, f"scripts/gen-console --check: {proc.stderr}{proc.stdout}"


def code_lines(path: Path) -> list[tuple[int, str]]:
    """(line number, code) of a console source with its comments blanked (a comment may name
    what the code must never do); block comments keep their line breaks so numbers stay right."""
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"/\*.*?\*/|<!--.*?-->", lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, flags=re.S)
    return [(n, re.sub(r"(^|\s)//.*$", "", line)) for n, line in enumerate(text.splitlines(), start=1)]


@pytest.mark.parametrize("token", FORBIDDEN_IN_SOURCES)
def test_console_sources_use_no_html_sink_eval_or_web_storage(token):
    offenders = [f"{p.name}:{n}: {line.strip()[:120]}" for p in sorted(WEB.iterdir()) if p.is_file()
                 for n, line in code_lines(p) if token in line]
    assert not offenders, f"{token!r} in console sources: " + "; ".join(offenders)
