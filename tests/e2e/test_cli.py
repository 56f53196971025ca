"""Subcommands and process behaviour: config errors, shutdown, doctor, version, migrate,
create-owner."""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import subprocess
import time

import pytest

from conftest import CONCLAVE_BIN, READY_RE, Server, strong_password

STACK_TRACE_MARKERS = ("Stack dump", "Fatal error", "Traceback", ".swift:", "Current stack trace", "#0 ", "0x0000")


def run_serve(srv: Server, env: dict, timeout: float = 20.0) -> tuple[int, str, str, float]:
    """Run `conclave serve` expecting it to exit by itself; kill it if it starts listening."""
    t0 = time.monotonic()
    proc = subprocess.Popen([CONCLAVE_BIN, "serve"], env=srv.env(env), cwd=srv.root,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"serve did not exit within {timeout}s\nstdout:{out}\nstderr:{err}")
    return proc.returncode, out, err, time.monotonic() - t0


# ---------------------------------------------------------------------------- configuration errors

@pytest.mark.parametrize("var,value", [
    ("CONCLAVE_PORT", "notaport"),
    ("CONCLAVE_PORT", "65536"),
    ("CONCLAVE_RATE_LIMITS", "login=abc"),
    ("CONCLAVE_RATE_LIMITS", "login=5/1fortnight"),
    ("CONCLAVE_TRUSTED_PROXIES", "not-a-cidr"),
])
def test_config_error_exits_2_with_one_line(make_server, var, value):
    srv = make_server(start=False)
    code, out, err, took = run_serve(srv, {var: value})
    assert "conclave listening" not in out, f"started despite {var}={value}"
    assert code == 2, f"{var}={value}: exit code {code}, want 2\nstdout:{out}\nstderr:{err}"
    assert took < 10, f"took {took:.1f}s to refuse the configuration"
    lines = [l for l in err.splitlines() if l.strip()]
    assert len(lines) == 1, f"stderr should be one line, got {len(lines)}:\n{err}"
    assert var in lines[0], f"stderr does not name {var}: {lines[0]!r}"
    for marker in STACK_TRACE_MARKERS:
        assert marker not in err, f"stderr looks like a crash ({marker!r}):\n{err}"


def test_every_bad_variable_is_reported_at_once(make_server):
    srv = make_server(start=False)
    bad = {"CONCLAVE_PORT": "notaport", "CONCLAVE_RATE_LIMITS": "logins=5/1m", "CONCLAVE_LOG_LEVEL": "loud",
           "CONCLAVE_JWT_SECRET": "short-secret-value", "CONCLAVE_ENV": "production"}
    code, out, err, _ = run_serve(srv, bad)
    assert code == 2, f"exit code {code}\nstdout:{out}\nstderr:{err}"
    lines = [l for l in err.splitlines() if l.strip()]
    for var in ("CONCLAVE_PORT", "CONCLAVE_RATE_LIMITS", "CONCLAVE_LOG_LEVEL", "CONCLAVE_JWT_SECRET"):
        assert sum(var in l for l in lines) == 1, f"{var} is not named on a line of its own:\n{err}"
    assert len(lines) == 4, f"one line per bad variable, got:\n{err}"
    assert "short-secret-value" not in err, "a secret's value was echoed"


def test_a_server_told_to_pick_its_port_names_that_port_in_links_and_tokens(make_server):
    from conftest import create_owner
    srv = make_server()  # CONCLAVE_PORT=0, no CONCLAVE_PUBLIC_URL
    assert srv.port != 8750
    owner = create_owner(srv)
    expected = f"http://localhost:{srv.port}"
    payload = owner["access_token"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["iss"] == expected, claims
    with srv.client() as c:
        r = c.post(f"/api/v1/workspaces/{owner['workspace_id']}/invites", json={"role": "member"}, headers=owner["headers"])
        assert r.status_code == 201, r.text
        assert r.json()["url"].startswith(expected + "/"), r.json()["url"]
        r = c.post("/api/v1/auth/webauthn/register/options", json={}, headers=owner["headers"])
        assert r.status_code == 200, r.text
        assert r.json()["publicKey"]["rp"]["id"] == "localhost", r.json()


# ---------------------------------------------------------------------------- shutdown

@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_graceful_shutdown(make_server, sig):
    srv = make_server()
    with srv.client() as c:
        assert c.get("/health").status_code == 200
    t0 = time.monotonic()
    code = srv.stop(sig, timeout=10)
    took = time.monotonic() - t0
    assert code == 0, f"exit code {code} after {signal.Signals(sig).name}\nstderr:{srv.stderr}"
    assert took < 10, f"took {took:.1f}s to stop"
    for marker in STACK_TRACE_MARKERS[:4]:
        assert marker not in srv.stderr, srv.stderr


def test_request_in_flight_is_answered_on_sigterm(make_server):
    """A request whose body is still arriving when SIGTERM comes is completed, then the server exits 0."""
    import socket

    srv = make_server()
    body = json.dumps({"email": "nobody@example.com", "password": "Wrong-" + strong_password()}).encode()
    head = (f"POST /api/v1/auth/login HTTP/1.1\r\nHost: {srv.host}:{srv.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    sock = socket.create_connection((srv.host, srv.port), timeout=15)
    try:
        sock.sendall(head + body[:10])
        time.sleep(0.3)
        srv.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        sock.sendall(body[10:])
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        sock.close()
    assert data.startswith(b"HTTP/1.1 "), f"no response to the in-flight request: {data[:200]!r}"
    status = int(data.split(b" ", 2)[1])
    assert status == 401, data[:300]
    assert srv.stop(timeout=10) == 0


def test_restart_on_same_data_dir_keeps_data(make_server):
    from conftest import create_owner
    srv = make_server()
    owner = create_owner(srv)
    assert srv.stop() == 0
    srv.start()
    with srv.client() as c:
        r = c.post("/api/v1/auth/login", json={"email": owner["email"], "password": owner["password"]})
        assert r.status_code == 200, r.text
        # Tokens signed before the restart still verify (the signing key was persisted).
        r = c.get("/api/v1/me", headers=owner["headers"])
        assert r.status_code == 200, r.text


# ---------------------------------------------------------------------------- doctor

def doctor_lines(proc) -> list[str]:
    return [l for l in (proc.stdout + "\n" + proc.stderr).splitlines() if l.strip()]


def test_doctor_non_loopback_plaintext_is_fatal(make_server):
    srv = make_server()
    proc = srv.run_cli(["doctor"], env={"CONCLAVE_HOST": "0.0.0.0"})
    lines = doctor_lines(proc)
    assert proc.returncode != 0, f"doctor exited 0 for a public plaintext listener:\n{proc.stdout}"
    assert any("fatal" in l.lower() for l in lines), f"no fatal finding:\n{proc.stdout}{proc.stderr}"


def test_doctor_defaults_on_loopback_pass_with_warnings(make_server):
    srv = make_server()
    proc = srv.run_cli(["doctor"])
    lines = doctor_lines(proc)
    assert proc.returncode == 0, f"doctor exited {proc.returncode} on the default config:\n{proc.stdout}{proc.stderr}"
    assert not any("fatal" in l.lower() for l in lines), f"fatal finding on defaults:\n{proc.stdout}"
    assert any(re.search(r"\bok\b", l, re.I) for l in lines), f"no ok line:\n{proc.stdout}"
    warns = [l for l in lines if "warn" in l.lower()]
    assert any("bootstrap" in l.lower() for l in warns), f"no warning about bootstrap being enabled:\n{proc.stdout}"
    assert any("secret" in l.lower() or "key" in l.lower() for l in warns), \
        f"no warning about generated secrets:\n{proc.stdout}"


def test_doctor_flags_short_secret(make_server):
    srv = make_server()
    proc = srv.run_cli(["doctor"], env={"CONCLAVE_JWT_SECRET": "too-short-secret"})
    assert proc.returncode != 0, proc.stdout
    fatal = [l for l in doctor_lines(proc) if "fatal" in l.lower()]
    assert fatal, proc.stdout
    assert "too-short-secret" not in proc.stdout + proc.stderr, "doctor printed the secret"


def test_doctor_flags_world_readable_data_dir(make_server):
    srv = make_server()
    assert srv.stop() == 0
    os.chmod(srv.data_dir, 0o755)
    proc = srv.run_cli(["doctor"])
    assert proc.returncode != 0, f"doctor passed a 0755 data dir:\n{proc.stdout}"
    assert any("fatal" in l.lower() for l in doctor_lines(proc)), proc.stdout


def test_doctor_warns_about_cors_wildcard(make_server):
    srv = make_server(start=False)
    srv.run_cli(["migrate"])
    proc = srv.run_cli(["doctor"], env={"CONCLAVE_CORS_ORIGINS": "*"})
    warns = [l for l in doctor_lines(proc) if "warn" in l.lower()]
    assert any("cors" in l.lower() or "*" in l for l in warns), f"no CORS * warning:\n{proc.stdout}"


def test_production_refuses_to_start_on_fatal_finding(make_server):
    srv = make_server(start=False)
    code, out, err, _ = run_serve(srv, {"CONCLAVE_ENV": "production", "CONCLAVE_HOST": "0.0.0.0"})
    assert "conclave listening" not in out, "production server started on a public plaintext listener"
    assert code != 0, "exit code 0"
    assert "fatal" in (out + err).lower(), f"the fatal finding was not printed:\nstdout:{out}\nstderr:{err}"


def test_production_refuses_to_start_when_postgres_does_not_answer(make_server):
    # Contract: a database that does not answer is a fatal finding, and production exits on one
    # (outside production the server keeps waiting for the database instead).
    import socket
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    dead_port = probe.getsockname()[1]
    probe.close()
    srv = make_server(start=False)
    dead = f"postgres://conclave:conclave@127.0.0.1:{dead_port}/postgres?sslmode=disable"
    code, out, err, took = run_serve(srv, {"CONCLAVE_ENV": "production", "CONCLAVE_DATABASE_URL": dead}, timeout=40)
    assert "conclave listening" not in out, "production server started without its database"
    assert code != 0, f"exit code 0 after {took:.1f}s"
    assert "fatal" in err.lower() and "database" in err.lower(), f"the finding was not printed:\nstdout:{out}\nstderr:{err}"
    assert "conclave:conclave" not in out + err, "the database password was printed"


# ---------------------------------------------------------------------------- version, migrate

def test_version():
    proc = subprocess.run([CONCLAVE_BIN, "version"], capture_output=True, text=True, timeout=30,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"\d+\.\d+", proc.stdout), f"no version number in {proc.stdout!r}"


def test_migrate_is_idempotent(make_server):
    srv = make_server(start=False)
    first = srv.run_cli(["migrate"])
    assert first.returncode == 0, f"first migrate: {first.returncode}\n{first.stdout}\n{first.stderr}"
    second = srv.run_cli(["migrate"])
    assert second.returncode == 0, f"second migrate: {second.returncode}\n{second.stdout}\n{second.stderr}"
    srv.start()  # serves on the migrated database
    with srv.client() as c:
        assert c.get("/health/ready").status_code == 200


# ---------------------------------------------------------------------------- create-owner

def test_create_owner_password_stdin_prints_one_json_object(make_server):
    srv = make_server()
    password = strong_password()
    proc = srv.run_cli(["admin", "create-owner", "--email", "first@example.com", "--workspace", "First",
                        "--password-stdin"], input=password + "\n")
    assert proc.returncode == 0, proc.stderr
    obj = json.loads(proc.stdout)  # exactly one JSON document on stdout
    assert isinstance(obj, dict)
    assert obj["user_id"].startswith("usr_") and obj["workspace_id"].startswith("ws_"), obj
    assert obj["email"] == "first@example.com"
    assert "password" not in obj, "password echoed although it came from stdin"
    assert password not in proc.stdout + proc.stderr
    with srv.client() as c:
        r = c.post("/api/v1/auth/login", json={"email": "first@example.com", "password": password})
        assert r.status_code == 200, r.text


def test_create_owner_generates_one_time_password(make_server):
    srv = make_server()
    proc = srv.run_cli(["admin", "create-owner", "--email", "gen@example.com", "--workspace", "Gen"])
    assert proc.returncode == 0, proc.stderr
    obj = json.loads(proc.stdout)
    password = obj.get("password")
    assert isinstance(password, str) and len(password) >= 16, f"generated password {password!r}"
    with srv.client() as c:
        r = c.post("/api/v1/auth/login", json={"email": "gen@example.com", "password": password})
        assert r.status_code == 200, r.text
    assert password not in srv.output, "the generated password appears in the server log"


def test_create_owner_refuses_duplicate_email(make_server):
    srv = make_server(start=False)
    args = ["admin", "create-owner", "--email", "dup@example.com", "--workspace", "Dup", "--password-stdin"]
    first = srv.run_cli(args, input=strong_password() + "\n")
    assert first.returncode == 0, first.stderr
    again = srv.run_cli(args, input=strong_password() + "\n")
    assert again.returncode != 0, "a second owner with the same e-mail was created"
    assert "usage:" not in again.stderr.lower(), again.stderr


def test_create_owner_rejects_weak_password(make_server):
    srv = make_server(start=False)
    proc = srv.run_cli(["admin", "create-owner", "--email", "weak@example.com", "--workspace", "Weak",
                        "--password-stdin"], input="short\n")
    assert proc.returncode != 0, f"accepted the password 'short': {proc.stdout}"
    err = (proc.stdout + proc.stderr).lower()
    assert "unknown option" not in err and "usage:" not in err, f"refused for another reason:\n{proc.stderr}"
    assert "password" in err, f"the refusal does not say the password is the problem:\n{proc.stderr}"
