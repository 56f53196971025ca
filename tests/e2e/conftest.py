"""End-to-end harness: runs the real `conclave` binary and talks to it over HTTP.

Environment:
  CONCLAVE_BIN                 the server binary (default: <repo>/.build/debug/conclave)
  CONCLAVE_TEST_POSTGRES_URL   when set, every server gets a fresh PostgreSQL database
                               (created with psql, dropped at teardown); otherwise SQLite
                               in the server's own data dir.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Iterable, Mapping

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
CONCLAVE_BIN = os.environ.get("CONCLAVE_BIN") or str(REPO / ".build" / "debug" / "conclave")
POSTGRES_URL = os.environ.get("CONCLAVE_TEST_POSTGRES_URL") or None
BACKEND = "postgres" if POSTGRES_URL else "sqlite"

READY_RE = re.compile(r"^conclave listening on (https?)://(\S+?):(\d+)\s*$")
START_TIMEOUT = 60.0

# Keys of a problem document that legitimately differ between two requests.
PER_REQUEST_KEYS = {"instance", "request_id", "requestId", "trace_id", "traceId", "timestamp"}


# --------------------------------------------------------------------------------------
# PostgreSQL helpers (psql client; no Python driver needed)
# --------------------------------------------------------------------------------------

def _pg_url_for(dbname: str) -> str:
    parts = urllib.parse.urlsplit(POSTGRES_URL)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, parts.fragment))


def psql(url: str, sql: str, *, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess:
    """Run SQL through the psql client. Returns the CompletedProcess (stdout is unaligned, tuples only)."""
    proc = subprocess.run(
        ["psql", url, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql],
        capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
    )
    if check and proc.returncode != 0:
        raise RuntimeError(f"psql failed ({proc.returncode}): {sql}\n{proc.stderr}")
    return proc


def sqlite(db_path: str | Path, sql: str, *, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess:
    """Run SQL through the sqlite3 command-line shell."""
    proc = subprocess.run(
        ["sqlite3", "-bail", "-batch", str(db_path), sql],
        capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
    )
    if check and proc.returncode != 0:
        raise RuntimeError(f"sqlite3 failed ({proc.returncode}): {sql}\n{proc.stderr}")
    return proc


# --------------------------------------------------------------------------------------
# The server under test
# --------------------------------------------------------------------------------------

class ServerStartError(AssertionError):
    pass


class Server:
    """One `conclave serve` process with its own data dir (and database on PostgreSQL).

    The data dir is <tmp>/data and does not exist before the server (or a CLI command) creates
    it, so its permissions are the server's doing. stdout and stderr are drained by background
    threads for the whole life of the process, so a chatty server can never block on a pipe.
    """

    def __init__(self, env: Mapping[str, str | None] | None = None, *, args: Iterable[str] = ("serve",),
                 preexec_fn=None):
        self.extra_env = dict(env or {})
        self.args = list(args)
        # Run in the child before exec (e.g. to lower its descriptor limit with resource.setrlimit).
        self.preexec_fn = preexec_fn
        self.root = Path(tempfile.mkdtemp(prefix="conclave-e2e-"))
        self.data_dir = self.root / "data"
        self.db_name: str | None = None
        self.database_url: str | None = None
        if POSTGRES_URL:
            self.db_name = "conclave_e2e_" + secrets.token_hex(6)
            psql(POSTGRES_URL, f'CREATE DATABASE "{self.db_name}"')
            self.database_url = _pg_url_for(self.db_name)
        self.proc: subprocess.Popen | None = None
        self.stdout_lines: list[str] = []
        self.stderr_lines: list[str] = []
        self._threads: list[threading.Thread] = []
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self.base_url: str | None = None
        self.host: str | None = None
        self.port: int | None = None
        self.returncode: int | None = None
        self._cleaned = False

    # -- environment ---------------------------------------------------------------

    def env(self, overrides: Mapping[str, str | None] | None = None) -> dict[str, str]:
        """The environment for this server's processes: the test runner's environment without
        any CONCLAVE_* variable, then the server's settings, then per-call overrides
        (None removes a variable)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONCLAVE_")}
        env.update({
            "CONCLAVE_DATA_DIR": str(self.data_dir),
            "CONCLAVE_HOST": "127.0.0.1",
            # A restart keeps the port it was given first: the server's URL (and with it the
            # token issuer and invite links) stays the same, as for a deployed server.
            "CONCLAVE_PORT": str(self.port) if self.port else "0",
        })
        if self.database_url:
            env["CONCLAVE_DATABASE_URL"] = self.database_url
        for source in (self.extra_env, overrides or {}):
            for k, v in source.items():
                if v is None:
                    env.pop(k, None)
                else:
                    env[k] = v
        return env

    # -- lifecycle -----------------------------------------------------------------

    def start(self, timeout: float = START_TIMEOUT) -> "Server":
        assert self.proc is None or self.proc.poll() is not None, "already running"
        self._ready.clear()
        self.returncode = None
        self.proc = subprocess.Popen(
            [CONCLAVE_BIN, *self.args],
            env=self.env(), cwd=self.root,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, encoding="utf-8", errors="replace", bufsize=1, preexec_fn=self.preexec_fn,
        )
        self._threads = [
            threading.Thread(target=self._drain, args=(self.proc.stdout, self.stdout_lines, True), daemon=True),
            threading.Thread(target=self._drain, args=(self.proc.stderr, self.stderr_lines, False), daemon=True),
        ]
        for t in self._threads:
            t.start()
        deadline = time.monotonic() + timeout
        while not self._ready.is_set():
            if self.proc.poll() is not None:
                for t in self._threads:
                    t.join(timeout=5)
                self.returncode = self.proc.returncode
                raise ServerStartError(
                    f"conclave exited with {self.proc.returncode} before it was ready\n"
                    f"--- stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}")
            if time.monotonic() > deadline:
                self.kill()
                raise ServerStartError(
                    f"conclave did not print 'conclave listening on ...' within {timeout:.0f}s\n"
                    f"--- stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}")
            self._ready.wait(0.05)
        return self

    def _drain(self, pipe, sink: list[str], watch_ready: bool) -> None:
        for line in pipe:
            line = line.rstrip("\n")
            with self._lock:
                sink.append(line)
            if watch_ready and not self._ready.is_set():
                m = READY_RE.match(line.strip())
                if m:
                    scheme, host, port = m.group(1), m.group(2), int(m.group(3))
                    self.host, self.port = host, port
                    self.base_url = f"{scheme}://{host}:{port}"
                    self._ready.set()
        pipe.close()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        """Send `sig` and wait for the process to exit; returns its exit code (kills it and
        raises on timeout)."""
        assert self.proc is not None, "never started"
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError(f"conclave did not exit within {timeout}s of signal {sig}")
        for t in self._threads:
            t.join(timeout=5)
        self.returncode = self.proc.returncode
        return self.returncode

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        for t in self._threads:
            t.join(timeout=5)

    def cleanup(self) -> None:
        if self._cleaned:
            return
        self._cleaned = True
        try:
            if self.running:
                try:
                    self.stop(timeout=10)
                except AssertionError:
                    pass
            self.kill()
        finally:
            if self.db_name:
                psql(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)', check=False)
            shutil.rmtree(self.root, ignore_errors=True)

    # -- output --------------------------------------------------------------------

    @property
    def stdout(self) -> str:
        with self._lock:
            return "\n".join(self.stdout_lines)

    @property
    def stderr(self) -> str:
        with self._lock:
            return "\n".join(self.stderr_lines)

    @property
    def output(self) -> str:
        return self.stdout + "\n" + self.stderr

    # -- talking to it ---------------------------------------------------------------

    def client(self, **kwargs) -> httpx.Client:
        assert self.base_url, "server not started"
        kwargs.setdefault("timeout", 20.0)
        return httpx.Client(base_url=self.base_url, **kwargs)

    def run_cli(self, args: Iterable[str], input: str | None = None,
                env: Mapping[str, str | None] | None = None, timeout: float = 60.0,
                preexec_fn=None) -> subprocess.CompletedProcess:
        """Run another subcommand against the same data dir / database."""
        return subprocess.run(
            [CONCLAVE_BIN, *args], input=input, env=self.env(env), cwd=self.root,
            capture_output=True, text=True, timeout=timeout,
            stdin=None if input is not None else subprocess.DEVNULL, preexec_fn=preexec_fn,
        )

    # -- storage access for tamper tests ----------------------------------------------

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "conclave.db"

    def sql(self, statement: str, *, check: bool = True) -> subprocess.CompletedProcess:
        """Run SQL directly against this server's database (sqlite3 or psql)."""
        if self.database_url:
            return psql(self.database_url, statement, check=check)
        return sqlite(self.sqlite_path, statement, check=check)

    def sql_rows(self, statement: str) -> list[list[str]]:
        out = self.sql(statement).stdout
        return [line.split("|") for line in out.splitlines() if line.strip()]


# --------------------------------------------------------------------------------------
# Helpers shared by the tests
# --------------------------------------------------------------------------------------

def strong_password() -> str:
    return "Pw-" + secrets.token_urlsafe(24)


def parse_json_object(text: str) -> dict:
    """The last stdout line that is a JSON object (CLI output may be preceded by log lines)."""
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict):
                return obj
    try:
        obj = json.loads(text)
        if isinstance(obj, dict):
            return obj
    except ValueError:
        pass
    raise AssertionError(f"no JSON object in output:\n{text}")


def create_owner(server: Server, email: str = "owner@example.com", workspace: str = "Acme",
                 password: str | None = None) -> dict:
    """`conclave admin create-owner ... --password-stdin`, then log in. Returns a dict with
    user_id, workspace_id, email, password, the login response fields, and `headers`."""
    password = password or strong_password()
    proc = server.run_cli(
        ["admin", "create-owner", "--email", email, "--workspace", workspace, "--password-stdin"],
        input=password + "\n")
    assert proc.returncode == 0, f"create-owner exited {proc.returncode}\nstdout:{proc.stdout}\nstderr:{proc.stderr}"
    created = parse_json_object(proc.stdout)
    assert created.get("user_id", "").startswith("usr_"), created
    assert created.get("workspace_id", "").startswith("ws_"), created
    info = dict(created, password=password, email=email, create_stdout=proc.stdout, create_stderr=proc.stderr)
    if not server.running:
        return info
    with server.client() as c:
        r = c.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200, f"login as the new owner: {r.status_code} {r.text}"
    tokens = r.json()
    info.update(tokens)
    info["headers"] = {"Authorization": f"Bearer {tokens['access_token']}"}
    return info


def assert_problem(resp: httpx.Response, status: int) -> dict:
    """Assert an RFC 9457 problem response with `status`; returns the parsed body."""
    assert resp.status_code == status, f"expected {status}, got {resp.status_code}: {resp.text[:500]}"
    ctype = resp.headers.get("content-type", "")
    assert ctype.split(";")[0].strip().lower() == "application/problem+json", \
        f"{status} response Content-Type is {ctype!r}, want application/problem+json; body={resp.text[:300]}"
    body = resp.json()
    assert isinstance(body, dict), body
    for key in ("type", "title", "status"):
        assert key in body, f"problem body lacks {key!r}: {body}"
    assert body["status"] == status, f"problem body status {body['status']!r} != HTTP {status}"
    assert isinstance(body["type"], str) and body["type"], body
    assert isinstance(body["title"], str) and body["title"], body
    assert_nothing_internal(resp.text)
    return body


def check_security_header_map(h, where: str) -> None:
    h = {k.lower(): v for k, v in h.items()}
    assert h.get("x-content-type-options", "").lower() == "nosniff", f"{where}: X-Content-Type-Options={h.get('x-content-type-options')!r}"
    assert h.get("x-frame-options", "").upper() == "DENY", f"{where}: X-Frame-Options={h.get('x-frame-options')!r}"
    assert h.get("referrer-policy", "").lower() == "no-referrer", f"{where}: Referrer-Policy={h.get('referrer-policy')!r}"
    csp = h.get("content-security-policy", "")
    assert "default-src 'none'" in csp, f"{where}: Content-Security-Policy={csp!r}"
    assert h.get("x-request-id"), f"{where}: no X-Request-Id"
    assert "strict-transport-security" not in h, f"{where}: HSTS sent over plain HTTP"


INTERNAL_MARKERS = (".swift:", "Fatal error", "Traceback", "SELECT ", "INSERT INTO", "UPDATE audit",
                    "/work/", "/tmp/", "/root/", "conclave-e2e-", "SQLITE_", "PSQLError", "Swift.")


def assert_nothing_internal(text: str) -> None:
    for marker in INTERNAL_MARKERS:
        assert marker not in text, f"error body leaks internal detail {marker!r}: {text[:500]}"


def strip_per_request(body: dict) -> dict:
    return {k: v for k, v in body.items() if k not in PER_REQUEST_KEYS}


# --------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------

def pytest_report_header(config):
    return [f"conclave e2e: binary={CONCLAVE_BIN} backend={BACKEND}"]


@pytest.fixture(scope="session")
def conclave_bin() -> str:
    if not (os.path.isfile(CONCLAVE_BIN) and os.access(CONCLAVE_BIN, os.X_OK)):
        pytest.fail(f"server binary not found at {CONCLAVE_BIN} (build it, or set CONCLAVE_BIN)", pytrace=False)
    return CONCLAVE_BIN


# The shared server raises the login limit so that the tests sharing it do not trip it
# (rate limiting itself is tested on servers of its own, with the defaults).
SHARED_SERVER_ENV = {"CONCLAVE_RATE_LIMITS": "login=200/1m,auth_failures=100000/1m"}


def running_server(env: Mapping[str, str]):
    """The body of a module's `server` fixture: a server with `env`, started for the module's
    tests and cleaned up after them (`yield from running_server(ENV)`)."""
    srv = Server(env)
    try:
        srv.start()
        yield srv
    finally:
        srv.cleanup()


@pytest.fixture(scope="module")
def server(conclave_bin):
    yield from running_server(SHARED_SERVER_ENV)


@pytest.fixture
def make_server(conclave_bin):
    """Factory: make_server(env={...}, start=True) -> Server. Every server is stopped and its
    data dir / database removed at the end of the test."""
    made: list[Server] = []

    def factory(env: Mapping[str, str | None] | None = None, *, start: bool = True,
                args: Iterable[str] = ("serve",), preexec_fn=None) -> Server:
        srv = Server(env, args=args, preexec_fn=preexec_fn)
        made.append(srv)
        if start:
            srv.start()
        return srv

    yield factory
    for srv in made:
        srv.cleanup()


@pytest.fixture(scope="module")
def owner(server) -> dict:
    return create_owner(server, "owner@example.com", "Acme")


@pytest.fixture
def client(server):
    with server.client() as c:
        yield c
