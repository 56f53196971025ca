"""Helpers for the messaging and real-time end-to-end tests (test_messaging.py, test_realtime.py,
test_messaging_rules.py), and the module fixtures they share (imported by name into each module).

Everything talks to the server the way an outside client does: httpx for REST, the `websockets`
library (its threaded, synchronous client) for `GET /api/v1/ws`.
"""

from __future__ import annotations

import json
import secrets
import socket
import time
from typing import Callable

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from conftest import Server, running_server
from helpers_agents import create_agent_ok, create_key_ok
from helpers_identity import create_invite_ok, create_workspace, signup_via_invite

API = "/api/v1"

# Limits high enough that the tests sharing a server never trip them (rate limiting has tests of
# its own); `send` and `api` are raised so that bulk posting is possible at all.
MESSAGING_SERVER_ENV = {
    "CONCLAVE_RATE_LIMITS": ("login=1000/1m,signup=1000/1h,api_anonymous=100000/1m,"
                             "send=100000/1m:100000,api=1000000/1m,ws_connect=100000/1m,auth_failures=100000/1m"),
}

# Close codes of the contract.
UNAUTHORIZED = 4401
TOO_SLOW = 4408
LOCKED = 4423
TOO_MANY = 4429
UNSUPPORTED_DATA = 1003


def unique(tag: str = "t") -> str:
    return f"{tag}-{secrets.token_hex(6)}"


def channel_name(tag: str = "ch") -> str:
    return f"{tag}-{secrets.token_hex(4)}"


# --------------------------------------------------------------------------------------
# People
# --------------------------------------------------------------------------------------

def build_team(server: Server, owner: dict) -> dict:
    """The owner's workspace with an admin, two members, a viewer, an agent (no key yet), and an
    outsider who belongs only to a second workspace (whose owner is the same owner)."""
    ws = owner["workspace_id"]
    team = {"owner": owner, "ws": ws}
    with server.client() as c:
        for tag, role in (("admin", "admin"), ("member", "member"), ("member2", "member"), ("viewer", "viewer")):
            invite = create_invite_ok(c, owner["headers"], ws, role)
            person = signup_via_invite(c, invite["token"], tag)
            assert person.get("role") in (None, role), person
            team[tag] = person
        other = create_workspace(c, owner["headers"], "Elsewhere")
        invite = create_invite_ok(c, owner["headers"], other["id"], "member")
        team["outsider"] = signup_via_invite(c, invite["token"], "outsider")
        team["other_ws"] = other["id"]
        team["bot"] = create_agent_ok(c, owner["headers"], ws, "Chat Bot")
    return team


def agent_key(c: httpx.Client, team: dict, agent_id: str, scopes) -> str:
    return create_key_ok(c, team["owner"]["headers"], team["ws"], agent_id, list(scopes))["key"]


def uid(person: dict) -> str:
    """The principal id of a person (login/sign-up dicts) or an agent."""
    return person.get("user_id") or person["id"]


# --------------------------------------------------------------------------------------
# Channels and messages over REST
# --------------------------------------------------------------------------------------

def create_channel(c: httpx.Client, headers: dict, ws: str, name: str, private: bool = False, **extra) -> httpx.Response:
    return c.post(f"{API}/workspaces/{ws}/channels", json={"name": name, "private": private, **extra}, headers=headers)


def create_channel_ok(c: httpx.Client, headers: dict, ws: str, name: str | None = None, private: bool = False) -> dict:
    name = name or channel_name("private" if private else "public")
    r = create_channel(c, headers, ws, name, private)
    assert r.status_code == 201, f"POST /workspaces/{ws}/channels {name!r} private={private}: {r.status_code} {r.text}"
    body = r.json()
    assert body["id"].startswith("ch_"), body
    return body


def add_member(c: httpx.Client, headers: dict, ch: str, member_id: str) -> httpx.Response:
    return c.post(f"{API}/channels/{ch}/members", json={"member_id": member_id}, headers=headers)


def add_member_ok(c: httpx.Client, headers: dict, ch: str, member_id: str) -> None:
    r = add_member(c, headers, ch, member_id)
    assert r.status_code in (200, 201), f"POST /channels/{ch}/members {member_id}: {r.status_code} {r.text}"


def join_ok(c: httpx.Client, headers: dict, ch: str) -> None:
    r = c.post(f"{API}/channels/{ch}/join", headers=headers)
    assert r.status_code in (200, 201), f"POST /channels/{ch}/join: {r.status_code} {r.text}"


def post(c: httpx.Client, headers: dict, ch: str, text: str, **extra) -> httpx.Response:
    return c.post(f"{API}/channels/{ch}/messages", json={"text": text, **extra}, headers=headers)


def post_ok(c: httpx.Client, headers: dict, ch: str, text: str, **extra) -> dict:
    r = post(c, headers, ch, text, **extra)
    assert r.status_code == 201, f"POST /channels/{ch}/messages {text[:40]!r}: {r.status_code} {r.text[:500]}"
    return r.json()


def list_messages(c: httpx.Client, headers: dict, ch: str, **params) -> list[dict]:
    """Every message of a channel (following the pages by after_seq), in the order served."""
    out: list[dict] = []
    after = params.pop("after_seq", None)
    for _ in range(1000):
        query = dict(params, limit=200)
        if after is not None:
            query["after_seq"] = after
        r = c.get(f"{API}/channels/{ch}/messages", params=query, headers=headers)
        assert r.status_code == 200, f"GET /channels/{ch}/messages {query}: {r.status_code} {r.text[:300]}"
        page = r.json()
        out.extend(page["data"])
        if not page.get("next_cursor") or not page["data"]:
            return out
        after = page["data"][-1]["seq"]
    raise AssertionError("message listing never ended")


def list_channels(c: httpx.Client, headers: dict, ws: str) -> list[dict]:
    out: list[dict] = []
    cursor = None
    for _ in range(1000):
        params = {"limit": 200}
        if cursor:
            params["cursor"] = cursor
        r = c.get(f"{API}/workspaces/{ws}/channels", params=params, headers=headers)
        assert r.status_code == 200, f"GET /workspaces/{ws}/channels: {r.status_code} {r.text[:300]}"
        page = r.json()
        out.extend(page["data"])
        cursor = page.get("next_cursor")
        if not cursor:
            return out
    raise AssertionError("channel listing never ended")


# --------------------------------------------------------------------------------------
# WebSocket
# --------------------------------------------------------------------------------------

def ws_url(server: Server) -> str:
    assert server.base_url
    return server.base_url.replace("https://", "wss://", 1).replace("http://", "ws://", 1) + f"{API}/ws"


def ws_connect(server: Server, *, sock: socket.socket | None = None, max_queue=256):
    """A raw WebSocket to /api/v1/ws (no frame sent yet). No client keepalive pings, so only
    what the test sends goes over the wire."""
    return connect(ws_url(server), sock=sock, proxy=None, compression=None, legacy=True, open_timeout=10,
                   ping_interval=None, close_timeout=5, max_size=16 * 2**20, max_queue=max_queue)


def non_reading_stream(server: Server, token: str) -> "Stream":
    """An authenticated socket with a tiny receive buffer whose client reads nothing after
    `ready` (its library queue holds one frame), so the server's writes back up quickly."""
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect((server.host, server.port))
    stream = Stream(ws_connect(server, sock=raw, max_queue=1))
    stream.send({"type": "auth", "token": token})
    assert stream.recv(timeout=10)["type"] == "ready"
    return stream


class Stream:
    """One WebSocket with JSON frames, and a log of everything it received."""

    def __init__(self, conn):
        self.conn = conn
        self.received: list[dict] = []

    def send(self, obj) -> None:
        self.conn.send(obj if isinstance(obj, (str, bytes)) else json.dumps(obj))

    def recv(self, timeout: float = 5.0) -> dict:
        raw = self.conn.recv(timeout=timeout)
        assert isinstance(raw, str), f"server sent a binary frame: {raw[:80]!r}"
        frame = json.loads(raw)
        assert isinstance(frame, dict), frame
        self.received.append(frame)
        return frame

    def collect_until(self, pred: Callable[[dict], bool], timeout: float = 10.0, what: str = "frame") -> list[dict]:
        """Frames read until (and including) the first one for which pred is true."""
        frames = []
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {what} within {timeout}s; got {summarize(frames)}")
            try:
                frame = self.recv(timeout=left)
            except TimeoutError:
                raise AssertionError(f"no {what} within {timeout}s; got {summarize(frames)}") from None
            except ConnectionClosed as exc:
                raise AssertionError(f"socket closed ({close_info(self.conn)}) while waiting for {what}; "
                                     f"got {summarize(frames)}") from exc
            frames.append(frame)
            if pred(frame):
                return frames

    def wait_for(self, pred: Callable[[dict], bool], timeout: float = 10.0, what: str = "frame") -> dict:
        return self.collect_until(pred, timeout, what)[-1]

    def quiet(self, seconds: float) -> list[dict]:
        """Everything that arrives in the next `seconds` (stops early if the socket closes)."""
        frames = []
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                frames.append(self.recv(timeout=left))
            except (TimeoutError, ConnectionClosed):
                break
        return frames

    def close(self) -> None:
        try:
            self.conn.close()
        except Exception:
            pass


def summarize(frames: list[dict]) -> str:
    out = []
    for f in frames[-12:]:
        if f.get("type") == "event":
            data = f.get("data") or {}
            out.append(f"event {f.get('event')} {data.get('id') or data.get('member_id') or ''} "
                       f"{(data.get('text') or '')[:30]!r}")
        else:
            out.append(json.dumps(f)[:160])
    more = f" (+{len(frames) - 12} earlier)" if len(frames) > 12 else ""
    return f"{len(frames)} frames{more}: {out}"


def close_info(conn) -> str:
    return f"code={conn.close_code} reason={conn.close_reason!r}"


def open_stream(server: Server, token: str, timeout: float = 10.0, **auth) -> tuple[Stream, dict, list[dict]]:
    """Authenticate a new socket. Returns the stream, the `ready` frame, and any frames that came
    before it (resume_failed, replayed events)."""
    stream = Stream(ws_connect(server))
    stream.send({"type": "auth", "token": token, **auth})
    frames = stream.collect_until(lambda f: f.get("type") == "ready", timeout, "ready frame")
    ready = frames[-1]
    return stream, ready, frames[:-1]


def wait_closed(conn, timeout: float = 15.0) -> tuple[int | None, list]:
    """Reads until the server closes the socket. Returns (close code, frames received meanwhile)."""
    frames = []
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"socket still open after {timeout}s (got {len(frames)} frames)")
        try:
            frames.append(conn.recv(timeout=left))
        except TimeoutError:
            continue
        except ConnectionClosed:
            return conn.close_code, frames


def is_event(kind: str, **data) -> Callable[[dict], bool]:
    """A predicate: an event frame of `kind` whose data has the given values."""
    def pred(frame: dict) -> bool:
        if frame.get("type") != "event" or frame.get("event") != kind:
            return False
        d = frame.get("data") or {}
        return all(d.get(k) == v for k, v in data.items())
    return pred


def message_events(frames: list[dict]) -> list[dict]:
    return [f for f in frames if f.get("type") == "event" and f.get("event") == "message.created"]


def health_ok(server: Server) -> None:
    assert server.running, f"server process died (exit {server.proc.poll()})\n{server.stderr[-2000:]}"
    with server.client() as c:
        r = c.get("/health")
    assert r.status_code == 200, f"/health: {r.status_code} {r.text}"


# --------------------------------------------------------------------------------------
# Module fixtures (a test module imports them by name; pytest then scopes them to that module)
# --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(conclave_bin):
    yield from running_server(MESSAGING_SERVER_ENV)


@pytest.fixture(autouse=True)
def server_survives(server):
    """Every test ends with the shared server still running (a crash is reported where it happened)."""
    yield
    assert server.running, (f"the server died during this test (exit {server.proc.poll()})\n"
                            f"--- stderr tail ---\n{server.stderr[-3000:]}\n--- stdout tail ---\n{server.stdout[-2000:]}")


@pytest.fixture(scope="module")
def team(server, owner) -> dict:
    return build_team(server, owner)


@pytest.fixture(scope="module")
def general(server, team) -> dict:
    """A public channel that the owner created and admin, member, member2, viewer and the bot belong to."""
    with server.client() as c:
        ch = create_channel_ok(c, team["owner"]["headers"], team["ws"], channel_name("general"))
        for who in ("admin", "member", "member2", "viewer"):
            add_member_ok(c, team["owner"]["headers"], ch["id"], uid(team[who]))
        add_member_ok(c, team["owner"]["headers"], ch["id"], team["bot"]["id"])
    return ch


@pytest.fixture
def streams():
    """Sockets opened by a test; all closed at its end."""
    opened: list[Stream] = []

    def track(stream: Stream) -> Stream:
        opened.append(stream)
        return stream

    yield track
    for s in opened:
        s.close()
