"""Helpers for the agents / API keys end-to-end tests (test_agents.py).

The key format is re-implemented here from its published description (`ck_` + 43 base62 symbols
of 32 random bytes + a 6-symbol base62 CRC-32 of those 43 symbols), so the tests can check that
issued keys really have that shape and can make well-formed keys the server never issued.
"""

from __future__ import annotations

import re
import secrets
import time
import zlib
from datetime import datetime, timezone
from pathlib import Path

import httpx

from conftest import BACKEND, Server

API = "/api/v1"

KEY_RE = re.compile(r"^ck_[0-9A-Za-z]{49}$")
# Anything that looks like a Conclave key, inside arbitrary bytes.
KEY_ANYWHERE_RE = re.compile(rb"ck_[0-9A-Za-z]{49}")
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

ALL_SCOPES = ["messages:read", "messages:write", "channels:read", "channels:write",
              "files:read", "files:write", "members:read", "webhooks:manage"]
BOOTSTRAP_SCOPES = ["channels:read", "channels:write", "messages:read", "messages:write"]


# --------------------------------------------------------------------------------------
# Key format
# --------------------------------------------------------------------------------------

def base62(number: int, width: int) -> str:
    out = []
    while number:
        number, rem = divmod(number, 62)
        out.append(BASE62[rem])
    text = "".join(reversed(out))
    assert len(text) <= width
    return "0" * (width - len(text)) + text


def key_checksum(body: str) -> str:
    return base62(zlib.crc32(body.encode("ascii")) & 0xFFFFFFFF, 6)


def is_well_formed(key: str) -> bool:
    if not KEY_RE.match(key):
        return False
    body, check = key[3:46], key[46:]
    return key_checksum(body) == check


def fake_key() -> str:
    """A well-formed key (right prefix, length, alphabet and checksum) that was never issued."""
    body = base62(int.from_bytes(secrets.token_bytes(32), "big"), 43)
    return "ck_" + body + key_checksum(body)


def change_one_char(key: str, index: int) -> str:
    old = key[index]
    new = BASE62[(BASE62.index(old) + 1) % 62]
    return key[:index] + new + key[index + 1:]


def key_parts(key: str) -> dict[str, str]:
    """The full key and the pieces of it that must never be stored or shown again: the key
    without `ck_`, and everything after the 12-character display prefix."""
    return {"key": key, "key without ck_": key[3:], "key after display prefix": key[12:]}


# --------------------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------------------

def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def create_agent(c: httpx.Client, headers: dict, ws: str, name: str = "Helper Bot", **extra) -> httpx.Response:
    return c.post(f"{API}/workspaces/{ws}/agents", json={"name": name, **extra}, headers=headers)


def create_agent_ok(c: httpx.Client, headers: dict, ws: str, name: str = "Helper Bot", **extra) -> dict:
    r = create_agent(c, headers, ws, name, **extra)
    assert r.status_code == 201, f"POST /workspaces/{ws}/agents: {r.status_code} {r.text}"
    body = r.json()
    assert body.get("id", "").startswith("agt_"), body
    return body


def create_key(c: httpx.Client, headers: dict, ws: str, agent: str, scopes, name: str = "test key",
               **extra) -> httpx.Response:
    payload = {"name": name, "scopes": scopes, **extra}
    return c.post(f"{API}/workspaces/{ws}/agents/{agent}/keys", json=payload, headers=headers)


def create_key_ok(c: httpx.Client, headers: dict, ws: str, agent: str, scopes, name: str = "test key",
                  **extra) -> dict:
    r = create_key(c, headers, ws, agent, scopes, name, **extra)
    assert r.status_code == 201, f"POST .../agents/{agent}/keys {scopes} {extra}: {r.status_code} {r.text}"
    body = r.json()
    assert isinstance(body.get("key"), str) and KEY_RE.match(body["key"]), f"key shape: {body}"
    return body


def list_keys(c: httpx.Client, headers: dict, ws: str, agent: str) -> httpx.Response:
    return c.get(f"{API}/workspaces/{ws}/agents/{agent}/keys", headers=headers, params={"limit": 200})


def members_full(c: httpx.Client, headers: dict, ws: str) -> dict[str, dict]:
    r = c.get(f"{API}/workspaces/{ws}/members", headers=headers, params={"limit": 200})
    assert r.status_code == 200, f"members of {ws}: {r.status_code} {r.text}"
    return {m["id"]: m for m in r.json()["data"]}


def audit_entries(c: httpx.Client, headers: dict, ws: str, action: str) -> list[dict]:
    r = c.get(f"{API}/workspaces/{ws}/audit", headers=headers, params={"action": action, "limit": 200})
    assert r.status_code == 200, f"GET /workspaces/{ws}/audit?action={action}: {r.status_code} {r.text}"
    return r.json()["data"]


def rfc3339(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def poll(fn, timeout: float = 2.0, interval: float = 0.1):
    """Call fn() until it returns something truthy or `timeout` passes; returns the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


# --------------------------------------------------------------------------------------
# Data at rest
# --------------------------------------------------------------------------------------

def needle_forms(value: str) -> dict[str, bytes]:
    """The bytes of a secret as it could sit in storage: UTF-8, and lowercase/uppercase hex of
    it (PostgreSQL renders bytea as hex; a careless implementation might hex-encode)."""
    raw = value.encode("utf-8")
    return {"utf-8": raw, "hex": raw.hex().encode(), "HEX": raw.hex().upper().encode()}


def scan_bytes(blobs: dict[str, bytes], secrets_by_label: dict[str, str]) -> list[str]:
    hits = []
    for where, data in blobs.items():
        for label, value in secrets_by_label.items():
            if not value:
                continue
            for form, needle in needle_forms(value).items():
                if needle in data:
                    hits.append(f"{where}: {label} ({form})")
        for found in issued_keys_in(data):
            hits.append(f"{where}: a well-formed API key (checksum valid): {found[:12]}…")
    return hits


def issued_keys_in(data: bytes) -> list[str]:
    """Every well-formed key (right shape AND valid CRC-32 checksum) anywhere in `data`. The
    checksum rules out look-alikes such as a stored 12-char prefix followed by a hex hash."""
    found = []
    start = data.find(b"ck_")
    while start != -1:
        window = data[start:start + 52]
        if KEY_ANYWHERE_RE.fullmatch(window) and is_well_formed(window.decode("ascii")):
            found.append(window.decode("ascii"))
        start = data.find(b"ck_", start + 1)
    return found


def data_dir_blobs(srv: Server) -> dict[str, bytes]:
    out = {}
    for path in sorted(Path(srv.data_dir).rglob("*")):
        if path.is_file():
            out[str(path.relative_to(srv.data_dir))] = path.read_bytes()
    return out


def postgres_dump(srv: Server) -> dict[str, bytes]:
    """Every row of every table of the server's PostgreSQL database, as text."""
    tables = [r[0] for r in srv.sql_rows(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name")]
    assert tables, "no tables in the server's database"
    out = {}
    for table in tables:
        proc = srv.sql(f'SELECT t::text FROM "{table}" t')
        out[f"table {table}"] = proc.stdout.encode("utf-8")
    return out


def storage_blobs(srv: Server) -> dict[str, bytes]:
    blobs = data_dir_blobs(srv)
    if BACKEND == "postgres":
        blobs.update(postgres_dump(srv))
    return blobs
