"""Streams stop at a credential change exactly as the next REST request would: a long poll that is
waiting when its session logs out, its key is revoked or its agent is paused ends at once with 401
(423 for the pause) and delivers nothing posted after the change; a `send` arriving on a socket
right after the change is not acted on (nothing is stored); and long polls, like sockets, are
capped per session and per agent."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest

from conftest import assert_problem, create_owner, running_server
from helpers_agents import create_agent_ok, create_key_ok
from helpers_connections import CLOSE, TEXT, authenticated_websocket, close_code, frame, server_frames
from helpers_identity import bearer, login_ok
from helpers_messaging import (API, LOCKED, MESSAGING_SERVER_ENV, UNAUTHORIZED, add_member_ok, build_team,
                               create_channel_ok, list_messages, post_ok, unique)

CASES = ["logout", "key_revoked", "agent_paused"]


@pytest.fixture(scope="module")
def server(conclave_bin):
    yield from running_server({**MESSAGING_SERVER_ENV, "CONCLAVE_WS_SOCKETS_PER_SESSION": "3",
                               "CONCLAVE_WS_SOCKETS_PER_AGENT": "4"})


@pytest.fixture(scope="module")
def team(server) -> dict:
    owner = create_owner(server, "streams-owner@example.com", "Streams")
    team = build_team(server, owner)
    with server.client() as c:
        team["channel"] = create_channel_ok(c, owner["headers"], team["ws"])
        add_member_ok(c, owner["headers"], team["channel"]["id"], team["member"]["user_id"])
    return team


def credential(server, team, case: str) -> tuple[str, callable]:
    """A fresh credential for `case` and the change that ends it."""
    owner = team["owner"]["headers"]
    ws, channel = team["ws"], team["channel"]["id"]
    with server.client() as c:
        if case == "logout":
            session = login_ok(c, team["member"]["email"], team["member"]["password"])

            def change():
                with server.client() as cc:
                    r = cc.post(f"{API}/auth/logout", headers=session["headers"])
                    assert r.status_code in (200, 204), r.text
            return session["access_token"], change
        agent = create_agent_ok(c, owner, ws, "Agent " + unique())
        add_member_ok(c, owner, channel, agent["id"])
        key = create_key_ok(c, owner, ws, agent["id"], ["messages:read", "messages:write", "channels:read"])

    def change():
        with server.client() as cc:
            if case == "key_revoked":
                r = cc.delete(f"{API}/workspaces/{ws}/agents/{agent['id']}/keys/{key['id']}", headers=owner)
                assert r.status_code in (200, 204), r.text
            else:
                r = cc.patch(f"{API}/workspaces/{ws}/agents/{agent['id']}", json={"status": "paused"}, headers=owner)
                assert r.status_code == 200, r.text
    return key["key"], change


@pytest.mark.parametrize("case", CASES)
def test_a_waiting_long_poll_ends_at_a_credential_change_and_delivers_nothing_after(server, team, case):
    token, change = credential(server, team, case)
    with server.client() as c:
        r = c.get(f"{API}/events", params={"wait": 0}, headers=bearer(token))
        assert r.status_code == 200, r.text
        cursor = r.json()["cursor"]
    result: dict = {}

    def poll():
        with server.client(timeout=40) as c:
            result["response"] = c.get(f"{API}/events", params={"after": cursor, "wait": 30}, headers=bearer(token))
            result["at"] = time.monotonic()

    waiting = threading.Thread(target=poll)
    waiting.start()
    time.sleep(1.0)  # let the poll start waiting
    assert "response" not in result, f"the poll did not wait: {result['response'].text[:200]}"
    changed_at = time.monotonic()
    change()
    # Something the principal could read, posted after the change.
    with server.client() as c:
        after = post_ok(c, team["owner"]["headers"], team["channel"]["id"], "after the change " + unique())
    waiting.join(timeout=40)
    response = result["response"]
    want = 423 if case == "agent_paused" else 401
    body = assert_problem(response, want)
    if want == 401:
        assert response.headers.get("www-authenticate", "").lower().startswith("bearer"), response.headers
    assert after["id"] not in response.text, f"the poll delivered a message posted after the change: {body}"
    assert result["at"] - changed_at < 5, f"the poll ended {result['at'] - changed_at:.1f} s after the change"


def read_until_closed(sock: socket.socket, timeout: float = 10) -> tuple[list[dict], int | None]:
    """The JSON frames the server sends until it ends the connection, and its close code."""
    sock.settimeout(timeout)
    data, frames, code = b"", [], None
    while True:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            chunk = b""
        if not chunk:
            break
        data += chunk
        parsed, data = server_frames(data)
        for opcode, payload in parsed:
            if opcode == CLOSE:
                code = close_code(payload)
            elif opcode == TEXT:
                frames.append(json.loads(payload))
    return frames, code


@pytest.mark.parametrize("case", CASES)
def test_a_send_right_after_a_credential_change_is_not_stored(server, team, case):
    channel = team["channel"]["id"]
    texts = []
    for _ in range(3):
        token, change = credential(server, team, case)
        sock = authenticated_websocket(server, token)
        try:
            change()
            text = "sent after the change " + unique()
            texts.append(text)
            sock.sendall(frame(TEXT, json.dumps({"type": "send", "channel_id": channel, "text": text,
                                                 "client_msg_id": unique("cid")}).encode()))
            frames, code = read_until_closed(sock)
            acks = [f for f in frames if f.get("type") == "ack"]
            assert not acks, f"{case}: the send was acknowledged: {acks}"
            if case == "agent_paused":
                refused = [f for f in frames if f.get("type") == "error" and f.get("status") == 423]
                assert refused or code == LOCKED, f"paused agent's send: {frames} close {code}"
            else:
                assert code == UNAUTHORIZED, f"{case}: socket closed with {code}, want 4401; frames {frames}"
        finally:
            sock.close()
    with server.client() as c:
        stored = [m["text"] for m in list_messages(c, team["owner"]["headers"], channel)]
    leaked = [t for t in texts if t in stored]
    assert not leaked, f"{case}: stored after the change: {leaked}"


def test_long_polls_are_capped_per_session_and_per_agent(server, team):
    with server.client() as c:
        session = login_ok(c, team["member2"]["email"], team["member2"]["password"])
        key = create_key_ok(c, team["owner"]["headers"], team["ws"], team["bot"]["id"], ["messages:read"])["key"]
    for token, cap in ((session["access_token"], 3), (key, 4)):
        results: list = []
        lock = threading.Lock()

        def poll():
            with server.client(timeout=30) as c:
                r = c.get(f"{API}/events", params={"wait": 8}, headers=bearer(token))
            with lock:
                results.append((r, time.monotonic()))

        threads = [threading.Thread(target=poll) for _ in range(cap)]
        for t in threads:
            t.start()
        time.sleep(1.5)  # let them all start waiting
        assert not results, f"polls ended early: {[r.status_code for r, _ in results]}"
        started = time.monotonic()
        with server.client() as c:
            extra = c.get(f"{API}/events", params={"wait": 8}, headers=bearer(token))
        assert_problem(extra, 429)
        assert time.monotonic() - started < 2, "the poll past the cap waited instead of being refused"
        assert extra.headers.get("retry-after"), extra.headers
        for t in threads:
            t.join(timeout=20)
        assert [r.status_code for r, _ in results] == [200] * cap
        # Their slots are given back.
        with server.client() as c:
            assert c.get(f"{API}/events", params={"wait": 0}, headers=bearer(token)).status_code == 200
