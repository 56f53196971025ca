"""What the server leaves on disk and writes to its logs."""

from __future__ import annotations

import base64
import json
import os
import stat
import urllib.parse
from pathlib import Path

from conftest import BACKEND, READY_RE, create_owner, strong_password


def modes(data_dir: Path) -> tuple[int, dict[str, int], dict[str, int]]:
    """(mode of data_dir, {dir: mode}, {regular file: mode}) for everything below it."""
    top = stat.S_IMODE(os.stat(data_dir).st_mode)
    dirs, files = {}, {}
    for root, dnames, fnames in os.walk(data_dir):
        for d in dnames:
            p = Path(root, d)
            dirs[str(p.relative_to(data_dir))] = stat.S_IMODE(os.lstat(p).st_mode)
        for f in fnames:
            p = Path(root, f)
            st = os.lstat(p)
            if stat.S_ISREG(st.st_mode):
                files[str(p.relative_to(data_dir))] = stat.S_IMODE(st.st_mode)
    return top, dirs, files


def check_modes(data_dir: Path, when: str) -> dict[str, int]:
    assert data_dir.is_dir(), f"{when}: data dir {data_dir} was not created"
    top, dirs, files = modes(data_dir)
    assert top == 0o700, f"{when}: data dir mode {oct(top)}, want 0o700"
    for d, m in dirs.items():
        assert m & 0o077 == 0, f"{when}: directory {d} has mode {oct(m)} (group/other access)"
    bad = {f: oct(m) for f, m in files.items() if m != 0o600}
    assert not bad, f"{when}: files not 0600: {bad}"
    return files


def secret_candidates(data_dir: Path) -> dict[str, list[str]]:
    """Small files in the data dir are generated secrets: their content (and, for binary
    content, its common encodings) must never be printed."""
    found = {}
    for root, _, fnames in os.walk(data_dir):
        for f in fnames:
            p = Path(root, f)
            if not p.is_file() or p.name.startswith("conclave.db") or p.stat().st_size >= 200:
                continue
            raw = p.read_bytes()
            forms = []
            try:
                text = raw.decode("utf-8").strip()
                if len(text) >= 8:
                    forms.append(text)
            except UnicodeDecodeError:
                pass
            if len(raw) >= 8:
                forms += [raw.hex(), base64.b64encode(raw).decode().rstrip("="),
                          base64.urlsafe_b64encode(raw).decode().rstrip("=")]
            if forms:
                found[str(p.relative_to(data_dir))] = forms
    return found


def test_data_dir_and_file_modes(make_server):
    srv = make_server()
    files = check_modes(srv.data_dir, "after start")
    if BACKEND == "sqlite":
        assert "conclave.db" in files, f"no conclave.db in the data dir: {sorted(files)}"
    assert [f for f in files if not f.startswith("conclave.db")], \
        f"no generated secret file in the data dir: {sorted(files)}"
    create_owner(srv)  # writes through the database
    check_modes(srv.data_dir, "after writes")
    assert srv.stop() == 0
    check_modes(srv.data_dir, "after stop")


def test_generated_secrets_never_printed(make_server):
    srv = make_server()
    owner = create_owner(srv)
    secrets_found = secret_candidates(srv.data_dir)
    assert secrets_found, "no small secret file found in the data dir"
    with srv.client() as c:
        c.get("/api/v1/me", headers=owner["headers"])
        c.get("/metrics")
    assert srv.stop() == 0
    printed = srv.output + owner["create_stdout"] + owner["create_stderr"]
    doctor = srv.run_cli(["doctor"])
    printed += doctor.stdout + doctor.stderr
    for name, forms in secrets_found.items():
        for form in forms:
            assert form not in printed, f"the content of {name} appears in the output"
    if srv.database_url:
        # postgres://user:PASSWORD@host/db: the password part must be redacted wherever the URL is shown.
        userinfo = urllib.parse.urlsplit(srv.database_url).netloc.rsplit("@", 1)[0]
        if ":" in userinfo:
            assert ":" + userinfo.split(":", 1)[1] + "@" not in printed, "the database password appears in the output"


def test_logs_are_json_and_never_contain_credentials(make_server):
    srv = make_server()
    owner = create_owner(srv)
    wrong_password = "Wrong-" + strong_password()
    with srv.client() as c:
        r = c.post("/api/v1/auth/login", json={"email": owner["email"], "password": wrong_password})
        assert r.status_code == 401
        r = c.post("/api/v1/auth/login", json={"email": owner["email"], "password": owner["password"]})
        assert r.status_code == 200, r.text
        second = r.json()
        assert c.get("/api/v1/me", headers={"Authorization": "Bearer " + second["access_token"]}).status_code == 200
        r = c.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
        third = r.json() if r.status_code == 200 else {}
        c.get("/api/v1/me", headers={"Authorization": "Bearer ck_" + "Z" * 43})
    assert srv.stop() == 0

    lines = srv.stdout_lines
    assert any(READY_RE.match(l.strip()) for l in lines)
    json_lines = 0
    for line in lines:
        if not line.strip() or READY_RE.match(line.strip()):
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            raise AssertionError(f"stdout line is not JSON: {line!r}")
        assert isinstance(obj, dict), f"stdout line is JSON but not an object: {line!r}"
        json_lines += 1
    assert json_lines > 0, "the server logged nothing at all (expected at least request logs)"

    output = srv.output
    forbidden = {
        "owner password": owner["password"],
        "wrong password": wrong_password,
        "access token (create-owner login)": owner["access_token"],
        "refresh token (create-owner login)": owner["refresh_token"],
        "access token (second login)": second["access_token"],
        "refresh token (second login)": second["refresh_token"],
        "garbage API key": "ck_" + "Z" * 43,
    }
    for k in ("access_token", "refresh_token"):
        if third.get(k):
            forbidden[f"{k} (refresh)"] = third[k]
    for what, value in forbidden.items():
        assert value not in output, f"{what} appears in the server output"
        # JWTs: the signature part alone must not leak either.
        if value.count(".") == 2:
            assert value.rsplit(".", 1)[1] not in output, f"{what} signature appears in the server output"


def test_no_configuration_uses_conclave_data_in_cwd(make_server):
    """`conclave serve` with no configuration: ./conclave-data (0700) holding an SQLite database."""
    import socket

    env = {"CONCLAVE_DATA_DIR": None, "CONCLAVE_DATABASE_URL": None, "CONCLAVE_PORT": None, "CONCLAVE_HOST": None}
    probe = socket.socket()
    try:
        probe.bind(("127.0.0.1", 8750))
        default_port_free = True
    except OSError:
        default_port_free = False
    finally:
        probe.close()
    if not default_port_free:
        env["CONCLAVE_PORT"] = "0"
    srv = make_server(env)
    if default_port_free:
        assert srv.base_url == "http://127.0.0.1:8750", srv.base_url
    else:
        assert srv.host == "127.0.0.1", srv.base_url
    data = srv.root / "conclave-data"
    assert not srv.data_dir.exists(), "CONCLAVE_DATA_DIR was unset but the server used it"
    files = check_modes(data, "default data dir")
    assert "conclave.db" in files, sorted(files)
    with srv.client() as c:
        assert c.get("/health/ready").status_code == 200
