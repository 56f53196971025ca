"""Real time end to end: the WebSocket at /api/v1/ws (first-frame auth with a JWT or an API key,
4401 for anything else or nothing within 10 s, `ready` with a cursor, message events with
`mentioned`, visibility of private channels, live membership, resume with exactly-once replay,
resume_failed, send/ack with client_msg_id idempotency, ping/pong, bad frames, binary frames (1003),
a reader that does not read (4408), socket caps (4429), paused agents (agent.paused, 4423), resume
and long-poll across a backlog larger than the socket's queue, sockets of removed members and of
logged-out sessions), and the long-poll twin GET /api/v1/events.

Clients are independent of the server: httpx for REST, the `websockets` library for sockets.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from conftest import Server, assert_problem, check_security_header_map, create_owner
from helpers_agents import create_agent_ok, create_key_ok, fake_key
from helpers_identity import bearer, create_invite_ok, login_ok, signup_via_invite
from helpers_messaging import (API, LOCKED, TOO_MANY, TOO_SLOW, UNAUTHORIZED, UNSUPPORTED_DATA,
                               Stream, add_member_ok, agent_key, channel_name, close_info,
                               create_channel_ok, health_ok, is_event, list_messages, message_events, non_reading_stream, open_stream,
                               post_ok, summarize, uid, unique, wait_closed, ws_connect, ws_url)
# the module's fixtures
from helpers_messaging import general, server, server_survives, streams, team  # noqa: F401


def token(team, who) -> str:
    return team[who]["access_token"]


def h(team, who):
    return team[who]["headers"]


def connect_as(server, streams, tok: str, **auth) -> tuple[Stream, dict, list[dict]]:
    stream, ready, early = open_stream(server, tok, **auth)
    streams(stream)
    return stream, ready, early


def expect_rejected(server: Server, first_frame, code: int = UNAUTHORIZED, timeout: float = 5.0) -> list:
    """Opens a socket, sends `first_frame`, and asserts the server closes it with `code` without
    ever sending `ready`."""
    conn = ws_connect(server)
    try:
        conn.send(first_frame)
        got, frames = wait_closed(conn, timeout)
        readies = [f for f in frames if isinstance(f, str) and '"ready"' in f]
        assert not readies, f"{first_frame!r:.80}: server sent ready: {readies}"
        assert got == code, f"first frame {first_frame!r:.120}: closed with {close_info(conn)}, want {code}"
        return frames
    finally:
        conn.close()


# ======================================================================================
# Authentication
# ======================================================================================

def test_ws_auth_with_jwt_and_with_api_key(server, team, general, client, streams):
    human, ready, early = connect_as(server, streams, token(team, "member"))
    assert ready["type"] == "ready", ready
    assert ready["principal_id"] == uid(team["member"]), ready
    assert ready.get("session_id") == team["member"]["session_id"], ready
    assert isinstance(ready.get("cursor"), str) and ready["cursor"], ready
    assert early == [], f"frames before ready without resume: {early}"

    key = agent_key(client, team, team["bot"]["id"], ["messages:read", "channels:read"])
    bot, bready, _ = connect_as(server, streams, key)
    assert bready["principal_id"] == team["bot"]["id"], bready
    assert bready.get("session_id") in (None, ""), f"an API key's socket claims a session: {bready}"
    assert isinstance(bready.get("cursor"), str) and bready["cursor"], bready

    msg = post_ok(client, h(team, "owner"), general["id"], "hello sockets " + unique())
    for stream in (human, bot):
        ev = stream.wait_for(is_event("message.created", id=msg["id"]), what=f"message {msg['id']}")
        assert ev["channel_id"] == general["id"] and ev["workspace_id"] == team["ws"], ev
        assert ev["data"]["text"] == msg["text"] and ev["data"]["seq"] == msg["seq"], ev
        assert isinstance(ev["cursor"], str) and ev["cursor"], ev


def _forged(tok: str) -> str:
    head, body, sig = tok.split(".")
    return f"{head}.{body}.{sig[:-4]}{'AAAA' if not sig.endswith('AAAA') else 'BBBB'}"


@pytest.mark.parametrize("case", [
    "not json", "json array", "ping first", "send first", "auth without token", "empty token",
    "garbage token", "forged jwt", "refresh token", "unknown api key", "token is a number", "binary first frame",
])
def test_ws_bad_first_frame_is_4401(server, team, case):
    tok = token(team, "member2")
    frames = {
        "not json": "hello there",
        "json array": json.dumps([{"type": "auth", "token": tok}]),
        "ping first": json.dumps({"type": "ping"}),
        "send first": json.dumps({"type": "send", "channel_id": "ch_" + "a" * 20, "text": "x", "client_msg_id": "1"}),
        "auth without token": json.dumps({"type": "auth"}),
        "empty token": json.dumps({"type": "auth", "token": ""}),
        "garbage token": json.dumps({"type": "auth", "token": "garbage"}),
        "forged jwt": json.dumps({"type": "auth", "token": _forged(tok)}),
        "refresh token": json.dumps({"type": "auth", "token": team["member2"]["refresh_token"]}),
        "unknown api key": json.dumps({"type": "auth", "token": fake_key()}),
        "token is a number": json.dumps({"type": "auth", "token": 12345}),
        "binary first frame": json.dumps({"type": "auth", "token": tok}).encode(),
    }
    expect_rejected(server, frames[case])


def test_ws_without_auth_frame_is_closed_after_10s(server):
    conn = ws_connect(server)
    started = time.monotonic()
    try:
        code, frames = wait_closed(conn, timeout=13.0)
    finally:
        conn.close()
    elapsed = time.monotonic() - started
    assert code == UNAUTHORIZED, f"silent socket closed with {close_info(conn)} after {elapsed:.1f}s, want 4401"
    assert elapsed >= 8.0, f"silent socket closed after only {elapsed:.1f}s (contract: 10 s to authenticate)"
    assert frames == [], frames


def test_ws_from_a_foreign_browser_origin_is_refused(server, team):
    with pytest.raises(InvalidStatus) as info:
        connect(ws_url(server), origin="https://evil.example", proxy=None, compression=None, legacy=True,
                open_timeout=10, ping_interval=None).close()
    # docs/openapi.yaml: 403 (test_ws_refused_for_its_origin_is_a_403_problem checks the body)
    assert info.value.response.status_code == 403, info.value.response.status_code


def test_ws_refused_for_its_origin_is_a_403_problem(server, team):
    """The refusal the OpenAPI document names for a foreign Origin: 403, an RFC 9457 problem with
    the security headers every response carries, and the connection closed (not the 400 'not
    valid HTTP/1.1' of a malformed request). The upgrade itself is well formed."""
    upgrade = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
               "Sec-WebSocket-Key": base64.b64encode(b"0123456789abcdef").decode()}
    for origin in ("https://evil.example", "null", server.base_url.rstrip("/").replace("http://", "https://")):
        with server.client() as c:
            r = c.get(f"{API}/ws", headers={**upgrade, "Origin": origin})
        body = assert_problem(r, 403)
        assert "origin" in body.get("detail", "").lower(), body
        check_security_header_map(r.headers, f"upgrade refused for Origin {origin}")
        assert r.headers.get("connection", "").lower() == "close", dict(r.headers)
        assert r.headers.get("cache-control") == "no-store", dict(r.headers)
    health_ok(server)


def test_ws_from_the_servers_own_origin_is_accepted_with_no_configuration(server, team):
    """Contract v1.1: the console the server serves opens its socket from the server's own
    origin, with CONCLAVE_CORS_ORIGINS unset. The same host under another scheme or port is
    another origin, and refused."""
    own = server.base_url.rstrip("/")
    conn = connect(ws_url(server), origin=own, proxy=None, compression=None, legacy=True, open_timeout=10, ping_interval=None)
    try:
        conn.send(json.dumps({"type": "auth", "token": token(team, "member")}))
        assert json.loads(conn.recv(timeout=10))["type"] == "ready"
    finally:
        conn.close()
    host, port = own.rsplit(":", 1)
    for other in (own.replace("http://", "https://"), f"{host}:{int(port) + 1}", own + "/console"):
        with pytest.raises(InvalidStatus) as info:
            connect(ws_url(server), origin=other, proxy=None, compression=None, legacy=True, open_timeout=10,
                    ping_interval=None).close()
        assert info.value.response.status_code == 403, (other, info.value.response.status_code)


# ======================================================================================
# Events and who receives them
# ======================================================================================

def test_message_created_carries_mentioned(server, team, general, client, streams):
    mem, _, _ = connect_as(server, streams, token(team, "member"))
    mem2, _, _ = connect_as(server, streams, token(team, "member2"))
    key = agent_key(client, team, team["bot"]["id"], ["messages:read", "channels:read"])
    bot, _, _ = connect_as(server, streams, key)

    targeted = post_ok(client, h(team, "owner"), general["id"],
                       f"<@{uid(team['member'])}> and <@{team['bot']['id']}>, look " + unique())
    everyone = post_ok(client, h(team, "owner"), general["id"], "<!channel> all hands " + unique())
    nobody = post_ok(client, h(team, "owner"), general["id"], "no mention " + unique())

    expected = {
        "member": (mem, {targeted["id"]: True, everyone["id"]: True, nobody["id"]: False}),
        "member2": (mem2, {targeted["id"]: False, everyone["id"]: True, nobody["id"]: False}),
        "bot": (bot, {targeted["id"]: True, everyone["id"]: True, nobody["id"]: False}),
    }
    for who, (stream, want) in expected.items():
        frames = stream.collect_until(is_event("message.created", id=nobody["id"]), what=f"{who}: last message")
        got = {f["data"]["id"]: f.get("mentioned") for f in message_events(frames)}
        for msg_id, flag in want.items():
            assert msg_id in got, f"{who} did not receive {msg_id}: {summarize(frames)}"
            assert got[msg_id] is flag, f"{who}: message {msg_id} has mentioned={got[msg_id]!r}, want {flag}"


def test_non_member_never_receives_private_channel_events(server, team, general, client, streams):
    spies = {who: connect_as(server, streams, token(team, who))[0] for who in ("member2", "admin", "viewer", "outsider")}
    key = agent_key(client, team, team["bot"]["id"], ["messages:read", "channels:read"])
    spies["bot"] = connect_as(server, streams, key)[0]

    priv = create_channel_ok(client, h(team, "owner"), team["ws"], channel_name("hush"), private=True)
    add_member_ok(client, h(team, "owner"), priv["id"], uid(team["member"]))
    secrets_posted = [post_ok(client, h(team, "owner"), priv["id"], f"hush-{i}-" + unique()) for i in range(5)]
    r = client.patch(f"{API}/messages/{secrets_posted[0]['id']}", json={"text": "hush-edited-" + unique()},
                     headers=h(team, "owner"))
    assert r.status_code == 200, r.text
    r = client.delete(f"{API}/messages/{secrets_posted[1]['id']}", headers=h(team, "owner"))
    assert r.status_code in (200, 204), r.text
    r = client.post(f"{API}/channels/{priv['id']}/read", json={"seq": 3}, headers=h(team, "member"))
    assert r.status_code in (200, 204), r.text

    sentinel = post_ok(client, h(team, "owner"), general["id"], "sentinel " + unique())
    other = create_channel_ok(client, h(team, "owner"), team["other_ws"], channel_name("elsewhere"))
    add_member_ok(client, h(team, "owner"), other["id"], uid(team["outsider"]))
    outsider_sentinel = post_ok(client, h(team, "owner"), other["id"], "outsider sentinel " + unique())

    for who, stream in spies.items():
        target = outsider_sentinel if who == "outsider" else sentinel
        frames = stream.collect_until(is_event("message.created", id=target["id"]), what=f"{who}: sentinel")
        text = json.dumps(frames)
        assert priv["id"] not in text, f"{who} received an event of a private channel it is not in: {summarize(frames)}"
        assert "hush-" not in text, f"{who} received private text: {summarize(frames)}"
        if who == "outsider":
            assert general["id"] not in text and team["ws"] not in text, \
                f"the outsider received events of a workspace it is not in: {summarize(frames)}"


def test_member_joined_applies_live(server, team, general, client, streams):
    watcher, _, _ = connect_as(server, streams, token(team, "member2"))
    priv = create_channel_ok(client, h(team, "owner"), team["ws"], channel_name("late"), private=True)
    before = post_ok(client, h(team, "owner"), priv["id"], "before-join " + unique())
    add_member_ok(client, h(team, "owner"), priv["id"], uid(team["member2"]))
    frames = watcher.collect_until(is_event("member.joined", member_id=uid(team["member2"])), what="member.joined")
    assert frames[-1]["channel_id"] == priv["id"], frames[-1]
    after = post_ok(client, h(team, "owner"), priv["id"], "after-join " + unique())
    frames += watcher.collect_until(is_event("message.created", id=after["id"]), what="message after the join")
    assert before["id"] not in json.dumps(frames), "a message from before the join was pushed"

    # and removal applies live too
    r = client.delete(f"{API}/channels/{priv['id']}/members/{uid(team['member2'])}", headers=h(team, "owner"))
    assert r.status_code in (200, 204), f"remove member: {r.status_code} {r.text}"
    watcher.wait_for(is_event("member.left", member_id=uid(team["member2"])), what="member.left")
    gone = post_ok(client, h(team, "owner"), priv["id"], "after-removal " + unique())
    sentinel = post_ok(client, h(team, "owner"), general["id"], "sentinel " + unique())
    frames = watcher.collect_until(is_event("message.created", id=sentinel["id"]), what="sentinel")
    assert gone["id"] not in json.dumps(frames), f"a removed member still receives the channel: {summarize(frames)}"


def test_agent_key_without_messages_read_gets_no_message_events(server, team, general, client, streams):
    key = agent_key(client, team, team["bot"]["id"], ["channels:read"])
    bot, _, _ = connect_as(server, streams, key)
    hidden = post_ok(client, h(team, "owner"), general["id"], "not for channels:read " + unique())
    extra = create_channel_ok(client, h(team, "owner"), team["ws"], channel_name("botroom"))
    add_member_ok(client, h(team, "owner"), extra["id"], team["bot"]["id"])
    frames = bot.collect_until(is_event("member.joined", member_id=team["bot"]["id"]), what="member.joined")
    assert not message_events(frames) and hidden["id"] not in json.dumps(frames), \
        f"a key without messages:read received messages: {summarize(frames)}"


def test_mentions_only_stream(server, team, general, client, streams):
    quiet, _, _ = connect_as(server, streams, token(team, "member2"), mentions_only=True)
    post_ok(client, h(team, "owner"), general["id"], "chatter " + unique())
    ping = post_ok(client, h(team, "owner"), general["id"], f"<@{uid(team['member2'])}> you there? " + unique())
    frames = quiet.collect_until(is_event("message.created", id=ping["id"]), what="the mention")
    others = [f for f in frames if f.get("type") == "event" and f["data"].get("id") != ping["id"]]
    assert not others, f"mentions_only delivered other events: {summarize(others)}"
    assert frames[-1]["mentioned"] is True


# ======================================================================================
# Resume
# ======================================================================================

def test_resume_replays_exactly_the_missed_events(server, team, general, client, streams):
    first, ready, _ = connect_as(server, streams, token(team, "member"))
    cursor = ready["cursor"]
    first.close()
    missed = [post_ok(client, h(team, "owner"), general["id"], f"missed {i} " + unique()) for i in range(5)]

    again, ready2, early = connect_as(server, streams, token(team, "member"), resume_from=cursor)
    assert not [f for f in early if f.get("type") == "resume_failed"], f"a fresh cursor failed to resume: {early}"
    frames = list(early)
    have = lambda: [f["data"]["id"] for f in message_events(frames)]  # noqa: E731
    deadline = time.monotonic() + 10
    while len(have()) < 5 and time.monotonic() < deadline:
        frames += again.quiet(0.3)
    live = post_ok(client, h(team, "owner"), general["id"], "live " + unique())
    frames += again.collect_until(is_event("message.created", id=live["id"]), what="live message after replay")
    frames += again.quiet(1.0)

    ids = have()
    assert ids == [m["id"] for m in missed] + [live["id"]], \
        f"replay+live delivered {ids}, want the 5 missed in order then the live one: {summarize(frames)}"
    cursors = [f["cursor"] for f in frames if f.get("type") == "event"]
    assert len(cursors) == len(set(cursors)), f"an event was delivered twice: {cursors}"

    # resuming from the cursor of the 3rd replayed event gives exactly the 4th, 5th and the live one
    third = message_events(frames)[2]["cursor"]
    again.close()
    tail, _, early = connect_as(server, streams, token(team, "member"), resume_from=third)
    got = list(early)
    deadline = time.monotonic() + 10
    while len(message_events(got)) < 3 and time.monotonic() < deadline:
        got += tail.quiet(0.3)
    got += tail.quiet(0.7)
    assert [f["data"]["id"] for f in message_events(got)] == [missed[3]["id"], missed[4]["id"], live["id"]], \
        f"resume from an event's cursor: {summarize(got)}"


def test_resume_replays_deleted_messages_as_tombstones(server, team, general, client, streams):
    first, ready, _ = connect_as(server, streams, token(team, "member"))
    first.close()
    secret = "regret-" + unique()
    msg = post_ok(client, h(team, "owner"), general["id"], secret)
    r = client.delete(f"{API}/messages/{msg['id']}", headers=h(team, "owner"))
    assert r.status_code in (200, 204), r.text
    again, _, early = connect_as(server, streams, token(team, "member"), resume_from=ready["cursor"])
    frames = list(early)
    if not any(is_event("message.deleted", id=msg["id"])(f) for f in frames):
        frames += again.collect_until(is_event("message.deleted", id=msg["id"]), what="message.deleted")
    assert secret not in json.dumps(frames), f"replay after deletion carries the deleted text: {summarize(frames)}"
    created = [f for f in message_events(frames) if f["data"]["id"] == msg["id"]]
    assert all(f["data"]["text"] is None for f in created), created


@pytest.mark.parametrize("resume_from", ["garbage", "", "c1.", "c1.!!!!", "c1." + "A" * 5000, "future"])
def test_unusable_resume_cursor_gives_resume_failed_then_ready(server, team, general, client, streams, resume_from):
    if resume_from == "future":
        # a cursor of the right shape, far ahead of anything the server has
        _, ready, _ = connect_as(server, streams, token(team, "member"))
        cur = ready["cursor"]
        if not cur.startswith("c1."):
            pytest.skip(f"cursor format unknown ({cur[:10]}…); cannot build a future one")
        body = base64.urlsafe_b64decode(cur[3:] + "=" * (-len(cur[3:]) % 4)).decode()
        body = ";".join(f"{part.split('=')[0]}=999999999" for part in body.split(";"))
        resume_from = "c1." + base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")
    stream, ready, early = connect_as(server, streams, token(team, "member"), resume_from=resume_from)
    if resume_from in ("", "c1."):
        # arguably "no cursor": either way the stream must start cleanly
        assert [f.get("type") for f in early] in ([], ["resume_failed"]), early
    else:
        assert [f.get("type") for f in early] == ["resume_failed"], \
            f"resume_from={resume_from[:20]!r}: frames before ready: {early}"
    assert ready["principal_id"] == uid(team["member"]) and ready["cursor"], ready
    live = post_ok(client, h(team, "owner"), general["id"], "after resume_failed " + unique())
    stream.wait_for(is_event("message.created", id=live["id"]), what="live event after resume_failed")


def test_mentions_only_keeps_messages_of_existing_dms(server, team, general, client, streams):
    """mentions_only keeps events that mention the caller *or are in its DMs*: a DM that existed
    before the socket connected counts too (as it does for long-poll, which starts afresh each call)."""
    r = client.post(f"{API}/workspaces/{team['ws']}/dms", json={"member_ids": [uid(team["member2"])]},
                    headers=h(team, "admin"))
    assert r.status_code in (200, 201), r.text
    dm = r.json()
    quiet, ready, _ = connect_as(server, streams, token(team, "member2"), mentions_only=True)
    direct = post_ok(client, h(team, "admin"), dm["id"], "just between us " + unique())
    sentinel = post_ok(client, h(team, "owner"), general["id"], f"<@{uid(team['member2'])}> sentinel " + unique())
    frames = quiet.collect_until(is_event("message.created", id=sentinel["id"]), what="the sentinel mention")
    got = [f["data"]["id"] for f in message_events(frames)]
    assert direct["id"] in got, \
        (f"mentions_only socket dropped a message in the caller's DM {dm['id']} (no mention in it): {summarize(frames)}")

    r = client.get(f"{API}/events", params={"after": ready["cursor"], "wait": 0, "mentions_only": "true"},
                   headers=h(team, "member2"))
    assert r.status_code == 200, r.text
    got = [e["data"].get("id") for e in r.json()["events"]]
    assert direct["id"] in got, f"mentions_only long-poll dropped a DM message: {r.text[:400]}"


@pytest.fixture(scope="module")
def backlog(server, team) -> dict:
    """A cursor of `member`, then 1,100 messages it missed in one channel: more than the socket's
    outbound bound (1,024) and the long-poll's internal queue."""
    with server.client() as c:
        return _make_backlog(server, team, c)


def _make_backlog(server, team, c) -> dict:
    ch = create_channel_ok(c, h(team, "owner"), team["ws"], channel_name("backlog"))
    add_member_ok(c, h(team, "owner"), ch["id"], uid(team["member"]))
    s, ready, _ = open_stream(server, token(team, "member"))
    s.close()
    total = 1100
    ids: dict[int, str] = {}

    def poster(offset: int):
        with server.client() as c2:
            for i in range(offset, total, 8):
                ids[i] = post_ok(c2, h(team, "owner"), ch["id"], f"backlog {i}")["id"]

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(poster, range(4)))
    ordered = [m["id"] for m in sorted(list_messages(c, h(team, "member"), ch["id"]), key=lambda m: m["seq"])]
    assert sorted(ordered) == sorted(ids.values())
    return {"cursor": ready["cursor"], "channel": ch["id"], "ids": ordered}


def test_resume_across_a_large_backlog(server, team, backlog, streams):
    """1,100 missed events: the server replays them all in order, or answers resume_failed so the
    client refetches with REST. Closing the socket (e.g. 4408) at once would leave the client unable
    to ever resume from its cursor."""
    stream = streams(Stream(ws_connect(server, max_queue=None)))
    stream.send({"type": "auth", "token": token(team, "member"), "resume_from": backlog["cursor"]})
    frames: list[dict] = []
    want = backlog["ids"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            frames.append(stream.recv(timeout=5))
        except TimeoutError:
            break
        except ConnectionClosed:
            break
        if any(f.get("type") == "resume_failed" for f in frames):
            return  # acceptable: the client is told to refetch
        got = [f["data"]["id"] for f in message_events(frames) if f.get("channel_id") == backlog["channel"]]
        if len(got) >= len(want):
            break
    got = [f["data"]["id"] for f in message_events(frames) if f.get("channel_id") == backlog["channel"]]
    assert got == want, (f"resume across {len(want)} missed messages: got {len(got)} of them "
                         f"(socket {close_info(stream.conn)}), frames: {summarize(frames)}")


def test_long_poll_catches_up_a_large_backlog(server, team, backlog, client):
    """Following `cursor` from poll to poll reaches every one of 1,100 missed messages (or the cursor
    is refused as too old with 410); it never stalls with no events and the same cursor."""
    cursor = backlog["cursor"]
    events: list[dict] = []
    for _ in range(100):
        r = client.get(f"{API}/events", params={"after": cursor, "wait": 0}, headers=h(team, "member"))
        if r.status_code == 410:
            return
        assert r.status_code == 200, f"GET /events: {r.status_code} {r.text[:300]}"
        body = r.json()
        events += body["events"]
        got = [e["data"]["id"] for e in message_events(events) if e.get("channel_id") == backlog["channel"]]
        if len(got) >= len(backlog["ids"]):
            break
        assert body["events"] or body["cursor"] != cursor, \
            (f"long-poll is stuck after {len(got)}/{len(backlog['ids'])} messages: GET /events?after={cursor[:24]}…&wait=0 "
             f"answers 200 with no events and the same cursor")
        cursor = body["cursor"]
    got = [e["data"]["id"] for e in message_events(events) if e.get("channel_id") == backlog["channel"]]
    assert got == backlog["ids"], f"long-poll delivered {len(got)}/{len(backlog['ids'])} in order"


def test_removed_workspace_member_stops_receiving(server, team, general, client, streams):
    """A member removed from the workspace must not go on receiving its events over a socket that
    was open before the removal (closing the socket is fine too)."""
    with server.client() as c:
        invite = create_invite_ok(c, h(team, "owner"), team["ws"], "member")
        leaver = signup_via_invite(c, invite["token"], "leaver")
        invite = create_invite_ok(c, h(team, "owner"), team["other_ws"], "member")
        r = c.post(f"{API}/invites/{invite['token']}/accept", headers=leaver["headers"])
        assert r.status_code in (200, 201), f"leaver joins the other workspace: {r.status_code} {r.text}"
    add_member_ok(client, h(team, "owner"), general["id"], leaver["user_id"])
    other = create_channel_ok(client, h(team, "owner"), team["other_ws"], channel_name("stay"))
    add_member_ok(client, h(team, "owner"), other["id"], leaver["user_id"])
    # a fresh token, so that it lists both workspaces
    fresh = login_ok(client, leaver["email"], leaver["password"])
    s, _, _ = connect_as(server, streams, fresh["access_token"])
    before = post_ok(client, h(team, "owner"), general["id"], "before removal " + unique())
    s.wait_for(is_event("message.created", id=before["id"]), what="message before the removal")

    r = client.delete(f"{API}/workspaces/{team['ws']}/members/{leaver['user_id']}", headers=h(team, "admin"))
    assert r.status_code in (200, 204), f"remove member: {r.status_code} {r.text}"
    assert_problem(client.get(f"{API}/channels/{general['id']}/messages", headers=fresh["headers"]), 404)
    after = post_ok(client, h(team, "owner"), general["id"], "after removal " + unique())
    new_public = create_channel_ok(client, h(team, "owner"), team["ws"], channel_name("afterremoval"))
    sentinel = post_ok(client, h(team, "owner"), other["id"], "sentinel in the other workspace " + unique())
    try:
        frames = s.collect_until(is_event("message.created", id=sentinel["id"]), what="sentinel")
    except AssertionError as exc:
        if s.conn.close_code is not None:
            frames = list(s.received)  # closed: acceptable, as long as nothing leaked before
        else:
            raise exc
    leaked = [f for f in frames if f.get("workspace_id") == team["ws"] and f.get("type") == "event"
              and (after["id"] in json.dumps(f) or new_public["id"] in json.dumps(f))]
    assert not leaked, (f"a member removed from the workspace still receives its events over an open socket: "
                        f"{summarize(leaked)}")


def test_socket_of_a_revoked_session_stops(server, team, general, client, streams):
    """Logging out revokes the session, whose tokens "stop working at once, not at expiry": a socket
    it authenticated must not keep streaming the workspace (being closed is the expected outcome)."""
    person = team["member2"]
    session = login_ok(client, person["email"], person["password"])
    s, _, _ = connect_as(server, streams, session["access_token"])
    watcher, _, _ = connect_as(server, streams, token(team, "member"))
    r = client.post(f"{API}/auth/logout", headers=session["headers"])
    assert r.status_code in (200, 204), f"logout: {r.status_code} {r.text}"
    assert client.get(f"{API}/me", headers=session["headers"]).status_code == 401
    after = post_ok(client, h(team, "owner"), general["id"], "after logout " + unique())
    watcher.wait_for(is_event("message.created", id=after["id"]), what="the message, on another socket")
    frames = s.quiet(2.5)
    leaked = [f for f in frames if after["id"] in json.dumps(f)]
    assert not leaked, (f"a socket of a logged-out session still receives events (socket {close_info(s.conn)}): "
                        f"{summarize(leaked)}")


def test_idle_socket_of_a_revoked_key_is_closed_without_waiting_for_traffic(server, team, client, streams):
    """Revocation reaches a socket that is sent nothing at all: it is closed (4401) within
    seconds of the DELETE, not at its next event (nothing else would ever wake it)."""
    agent = create_agent_ok(client, h(team, "owner"), team["ws"], "Quiet Listener")
    created = create_key_ok(client, h(team, "owner"), team["ws"], agent["id"], ["messages:read"])
    s, _, _ = connect_as(server, streams, created["key"])
    r = client.delete(f"{API}/workspaces/{team['ws']}/agents/{agent['id']}/keys/{created['id']}", headers=h(team, "owner"))
    assert r.status_code in (200, 204), f"revoke: {r.status_code} {r.text}"
    started = time.monotonic()
    code, raw = wait_closed(s.conn, timeout=10)
    elapsed = time.monotonic() - started
    assert code == UNAUTHORIZED, f"idle socket of a revoked key: {close_info(s.conn)}, want 4401"
    assert elapsed < 3, f"the idle socket of a revoked key stayed open {elapsed:.1f} s"
    frames = [json.loads(x) for x in raw if isinstance(x, str)]
    assert not [f for f in frames if f.get("type") == "event"], f"it was not idle, so this proves nothing: {frames}"


# ======================================================================================
# Client frames
# ======================================================================================

def test_send_over_ws_is_acked_and_idempotent(server, team, general, client, streams):
    s, _, _ = connect_as(server, streams, token(team, "member"))
    cid = unique("wscid")
    text = "sent over the socket " + unique()
    s.send({"type": "send", "channel_id": general["id"], "text": text, "client_msg_id": cid})
    ack = s.wait_for(lambda f: f.get("type") in ("ack", "error") and f.get("client_msg_id") == cid, what="ack")
    assert ack["type"] == "ack", f"send over WS: {ack}"
    m = ack["message"]
    assert m["id"].startswith("msg_") and m["text"] == text and m["channel_id"] == general["id"], m
    assert m["sender"] == {"id": uid(team["member"]), "kind": "human"}, m
    assert isinstance(m["seq"], int) and m["seq"] >= 1, m

    s.send({"type": "send", "channel_id": general["id"], "text": text, "client_msg_id": cid})
    ack2 = s.wait_for(lambda f: f.get("type") in ("ack", "error") and f.get("client_msg_id") == cid, what="2nd ack")
    assert ack2["type"] == "ack" and ack2["message"]["id"] == m["id"], f"retry gave {ack2}, want message {m['id']}"

    sentinel = post_ok(client, h(team, "owner"), general["id"], "sentinel " + unique())
    frames = s.collect_until(is_event("message.created", id=sentinel["id"]), what="sentinel") + s.quiet(0.3)
    created = [f for f in message_events(s.received) if f["data"]["id"] == m["id"]]
    assert len(created) == 1, f"message.created for the WS-sent message {len(created)} times: {summarize(s.received)}"
    r = client.get(f"{API}/channels/{general['id']}/messages", params={"after_seq": m["seq"] - 1, "limit": 5},
                   headers=h(team, "member"))
    assert [x["id"] for x in r.json()["data"]].count(m["id"]) == 1
    assert [x["text"] for x in r.json()["data"]].count(text) == 1, "the retry made a duplicate"
    del frames

    # a REST post with the same client_msg_id is the same message too
    r = client.post(f"{API}/channels/{general['id']}/messages", json={"text": text, "client_msg_id": cid},
                    headers=h(team, "member"))
    assert r.status_code == 200 and r.json()["id"] == m["id"], f"{r.status_code} {r.text}"


def test_send_over_ws_errors(server, team, general, client, streams):
    priv = create_channel_ok(client, h(team, "owner"), team["ws"], channel_name("nope"), private=True)
    s, _, _ = connect_as(server, streams, token(team, "member"))

    def send(cid, **frame):
        s.send({"type": "send", "client_msg_id": cid, **frame})
        return s.wait_for(lambda f: f.get("type") in ("ack", "error") and f.get("client_msg_id") == cid, what=cid)

    e = send("e1", channel_id=priv["id"], text="let me in")
    assert e["type"] == "error" and e["status"] == 404, f"send into a private channel I am not in: {e}"
    e = send("e2", channel_id=general["id"], text="")
    assert e["type"] == "error" and e["status"] == 422, f"empty text: {e}"
    e = send("e3", channel_id=general["id"], text="x" * 40_001)
    assert e["type"] == "error" and e["status"] == 422, f"text over 40,000 chars: {e}"
    e = send("e4", channel_id="not-a-channel", text="hi")
    assert e["type"] == "error" and e["status"] in (400, 422), f"malformed channel id: {e}"
    e = send("e5", channel_id=general["id"], text="meta", metadata=[1])
    assert e["type"] == "error" and e["status"] == 422, f"metadata not an object: {e}"
    e = send("e6", channel_id=general["id"])
    assert e["type"] == "error" and e["status"] in (400, 422), f"no text: {e}"
    # the socket is still fine after errors
    ok = send("ok1", channel_id=general["id"], text="still here")
    assert ok["type"] == "ack", ok

    v, _, _ = connect_as(server, streams, token(team, "viewer"))
    v.send({"type": "send", "client_msg_id": "v1", "channel_id": general["id"], "text": "viewer says"})
    e = v.wait_for(lambda f: f.get("client_msg_id") == "v1", what="viewer's answer")
    assert e["type"] == "error" and e["status"] == 403, f"viewer sends over WS: {e}"

    key = agent_key(client, team, team["bot"]["id"], ["messages:read", "channels:read"])
    b, _, _ = connect_as(server, streams, key)
    b.send({"type": "send", "client_msg_id": "b1", "channel_id": general["id"], "text": "bot says"})
    e = b.wait_for(lambda f: f.get("client_msg_id") == "b1", what="bot's answer")
    assert e["type"] == "error" and e["status"] == 403 and "messages:write" in json.dumps(e), \
        f"read-only key sends over WS: {e}"
    texts = [m["text"] for m in client.get(f"{API}/channels/{general['id']}/messages", params={"limit": 200},
                                           headers=h(team, "owner")).json()["data"]]
    assert "viewer says" not in texts and "bot says" not in texts and "let me in" not in texts


def test_ping_pong_and_bad_frames_keep_the_socket(server, team, general, client, streams):
    s, _, _ = connect_as(server, streams, token(team, "member"))
    s.send({"type": "ping"})
    assert s.wait_for(lambda f: f.get("type") in ("pong", "error"), what="pong") == {"type": "pong"}
    for bad in ("{not json", "[1, 2, 3]", '"just a string"', "null", json.dumps({"type": "dance"}),
                json.dumps({"no": "type"}), json.dumps({"type": "auth", "token": token(team, "member")}), "{}"):
        s.send(bad)
        f = s.wait_for(lambda f: f.get("type") in ("error", "pong", "ready", "ack"), what=f"answer to {bad!r}")
        assert f["type"] == "error", f"frame {bad!r} answered with {f}"
    s.send({"type": "ping"})
    assert s.wait_for(lambda f: f.get("type") in ("pong", "error"), what="pong after errors") == {"type": "pong"}
    live = post_ok(client, h(team, "owner"), general["id"], "still listening " + unique())
    s.wait_for(is_event("message.created", id=live["id"]), what="event after bad frames")


def test_binary_frame_closes_with_1003(server, team, streams):
    s, _, _ = connect_as(server, streams, token(team, "member"))
    s.conn.send(b"\x00\x01binary\xff")
    code, _ = wait_closed(s.conn, timeout=5)
    assert code == UNSUPPORTED_DATA, f"binary frame: closed with {close_info(s.conn)}, want 1003"


# ======================================================================================
# Caps, slow readers, paused agents
# ======================================================================================

def test_sixth_socket_of_a_session_is_4429(server, team, client, streams):
    person = team["member2"]
    session = login_ok(client, person["email"], person["password"])
    five = [connect_as(server, streams, session["access_token"])[0] for _ in range(5)]
    expect_rejected(server, json.dumps({"type": "auth", "token": session["access_token"]}), TOO_MANY)
    # another session of the same person has its own allowance
    other = login_ok(client, person["email"], person["password"])
    connect_as(server, streams, other["access_token"])
    # closing one frees a slot
    five[0].close()
    deadline = time.monotonic() + 5
    while True:
        conn = ws_connect(server)
        conn.send(json.dumps({"type": "auth", "token": session["access_token"]}))
        try:
            frame = json.loads(conn.recv(timeout=5))
            streams(Stream(conn))
            assert frame["type"] == "ready", frame
            break
        except ConnectionClosed:
            assert conn.close_code == TOO_MANY, close_info(conn)
            assert time.monotonic() < deadline, "a closed socket never freed its slot"
            time.sleep(0.2)


def test_twenty_first_agent_socket_is_4429(server, team, client, streams):
    agent = create_agent_ok(client, h(team, "owner"), team["ws"], "Socket Hog")
    key = create_key_ok(client, h(team, "owner"), team["ws"], agent["id"], ["messages:read"])["key"]
    second_key = create_key_ok(client, h(team, "owner"), team["ws"], agent["id"], ["messages:read"])["key"]
    with ThreadPoolExecutor(max_workers=10) as pool:
        for s, ready, _ in pool.map(lambda _: open_stream(server, key), range(20)):
            streams(s)
            assert ready["principal_id"] == agent["id"]
    # the cap is per agent, whichever key it uses
    expect_rejected(server, json.dumps({"type": "auth", "token": second_key}), TOO_MANY)


def test_paused_agent_gets_agent_paused_then_4423(server, team, general, client, streams):
    agent = create_agent_ok(client, h(team, "owner"), team["ws"], "Pausable Bot")
    add_member_ok(client, h(team, "owner"), general["id"], agent["id"])
    key = create_key_ok(client, h(team, "owner"), team["ws"], agent["id"],
                        ["messages:read", "channels:read", "messages:write"])["key"]
    s, _, _ = connect_as(server, streams, key)
    bystander, _, _ = connect_as(server, streams, token(team, "member"))
    r = client.patch(f"{API}/workspaces/{team['ws']}/agents/{agent['id']}", json={"status": "paused"},
                     headers=h(team, "admin"))
    assert r.status_code == 200, f"pause: {r.status_code} {r.text}"
    started = time.monotonic()
    code, raw = wait_closed(s.conn, timeout=10)
    frames = [json.loads(x) for x in raw if isinstance(x, str)]
    assert any(f.get("type") == "event" and f.get("event") == "agent.paused" for f in frames), \
        f"paused agent's socket got no agent.paused event: {frames}"
    assert code == LOCKED, f"paused agent's socket closed with {close_info(s.conn)}, want 4423"
    assert time.monotonic() - started < 5, "the paused agent's socket stayed open for seconds"
    # while paused it can neither reconnect nor use REST
    conn = ws_connect(server)
    conn.send(json.dumps({"type": "auth", "token": key}))
    code, raw = wait_closed(conn, timeout=5)
    assert code in (LOCKED, UNAUTHORIZED) and not [x for x in raw if '"ready"' in str(x)], \
        f"paused agent reconnects: {close_info(conn)} {raw}"
    assert_problem(client.get(f"{API}/me", headers=bearer(key)), 423)
    # agent.paused is the agent's own business
    frames = bystander.quiet(0.5)
    assert not [f for f in frames if f.get("event") == "agent.paused"], f"agent.paused leaked to a human: {frames}"
    r = client.patch(f"{API}/workspaces/{team['ws']}/agents/{agent['id']}", json={"status": "active"},
                     headers=h(team, "admin"))
    assert r.status_code == 200, r.text
    connect_as(server, streams, key)


def test_slow_reader_is_closed_with_4408(make_server):
    srv = make_server({"CONCLAVE_RATE_LIMITS": "send=100000/1m:100000,api=1000000/1m,ws_connect=1000/1m,login=100/1m"})
    boss = create_owner(srv, "slow@example.com", "Slow")
    # Large messages fill the socket buffers after a few dozen events, so the queue bound (not the
    # 10 s keep-alive, which a client that stopped reading cannot answer either) is what cuts it off.
    total = 1600
    filler = "s" * 30000
    with srv.client() as c:
        ch = create_channel_ok(c, boss["headers"], boss["workspace_id"], channel_name("firehose"))

    # the slow socket: a tiny receive buffer, and a client that stops reading after one frame
    slow = non_reading_stream(srv, boss["access_token"])

    fast = Stream(ws_connect(srv, max_queue=None))
    fast.send({"type": "auth", "token": boss["access_token"]})
    assert fast.recv(timeout=10)["type"] == "ready"
    fast_seqs: list[int] = []
    fast_error: list[str] = []

    def read_fast():
        try:
            while len(fast_seqs) < total:
                frame = json.loads(fast.conn.recv(timeout=60))
                if frame.get("event") == "message.created":
                    fast_seqs.append(frame["data"]["seq"])
        except Exception as exc:  # reported below
            fast_error.append(f"{type(exc).__name__}: {exc} ({close_info(fast.conn)})")

    reader = threading.Thread(target=read_fast, daemon=True)
    reader.start()

    def poster(offset: int):
        with srv.client() as c:
            for i in range(offset, total, 8):
                r = c.post(f"{API}/channels/{ch['id']}/messages", json={"text": f"{i} {filler}"}, headers=boss["headers"])
                assert r.status_code == 201, f"post {i}: {r.status_code} {r.text[:200]}"

    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(poster, range(8)))
        reader.join(timeout=90)
        assert not reader.is_alive(), f"the reading socket got only {len(fast_seqs)}/{total} messages"
        assert not fast_error, f"the reading socket failed after {len(fast_seqs)} messages: {fast_error}"
        assert fast_seqs == list(range(1, total + 1)), \
            f"reading socket: {len(fast_seqs)} messages, first gap/dup near {next((i for i, s in enumerate(fast_seqs) if s != i + 1), None)}"

        code, frames = wait_closed(slow.conn, timeout=30)
        got = sum(1 for x in frames if isinstance(x, str) and '"message.created"' in x)
        assert code == TOO_SLOW, f"the non-reading socket was closed with {close_info(slow.conn)} after {got} events, want 4408"
        assert got < total, f"the non-reading socket was sent all {total} events (no bound)"
        health_ok(srv)
    finally:
        slow.close()
        fast.close()


# ======================================================================================
# Long-poll
# ======================================================================================

def test_long_poll_returns_the_same_events_as_the_socket(server, team, general, client, streams):
    s, ready, _ = connect_as(server, streams, token(team, "member"))
    posted = [post_ok(client, h(team, "owner"), general["id"], f"poll {i} " + unique()) for i in range(2)]
    posted.append(post_ok(client, h(team, "owner"), general["id"], f"<@{uid(team['member'])}> poll mention " + unique()))
    ws_frames = s.collect_until(is_event("message.created", id=posted[-1]["id"]), what="3rd message")
    ws_events = [f for f in ws_frames if f.get("type") == "event"]

    r = client.get(f"{API}/events", params={"after": ready["cursor"], "wait": 0}, headers=h(team, "member"))
    assert r.status_code == 200, f"GET /events: {r.status_code} {r.text}"
    body = r.json()
    assert body["events"] == ws_events, \
        f"long-poll and socket differ:\n poll={summarize(body['events'])}\n ws={summarize(ws_events)}"
    assert [e["data"]["id"] for e in message_events(body["events"])] == [m["id"] for m in posted]
    assert [e["mentioned"] for e in message_events(body["events"])] == [False, False, True]
    assert body["cursor"] == ws_events[-1]["cursor"], body["cursor"]

    r = client.get(f"{API}/events", params={"after": body["cursor"], "wait": 0}, headers=h(team, "member"))
    assert r.status_code == 200 and r.json()["events"] == [], f"nothing new after the last cursor: {r.text[:300]}"

    r = client.get(f"{API}/events", params={"after": ready["cursor"], "wait": 0, "mentions_only": "true"},
                   headers=h(team, "member"))
    assert r.status_code == 200, r.text
    assert [e["data"]["id"] for e in r.json()["events"]] == [posted[-1]["id"]], f"mentions_only: {r.text[:500]}"

    # an agent polls with its key
    key = agent_key(client, team, team["bot"]["id"], ["messages:read", "channels:read"])
    r = client.get(f"{API}/events", params={"after": ready["cursor"], "wait": 0}, headers=bearer(key))
    if r.status_code == 200:
        assert [e["data"]["id"] for e in message_events(r.json()["events"])] == [m["id"] for m in posted], r.text[:500]
    else:
        # another principal's cursor may be refused, but never with a server error
        assert r.status_code in (400, 410, 422), f"agent polls with a human's cursor: {r.status_code} {r.text}"


def test_long_poll_waits_and_wakes(server, team, general, client):
    hh = h(team, "member")
    r = client.get(f"{API}/events", params={"wait": 0}, headers=hh)
    assert r.status_code == 200, r.text
    cursor = r.json()["cursor"]
    assert isinstance(cursor, str) and cursor

    started = time.monotonic()
    r = client.get(f"{API}/events", params={"after": cursor, "wait": 2}, headers=hh, timeout=15)
    elapsed = time.monotonic() - started
    assert r.status_code == 200, r.text
    assert r.json()["events"] == [], r.text[:300]
    assert 1.5 <= elapsed <= 4.0, f"idle wait=2 returned after {elapsed:.2f}s"
    cursor = r.json()["cursor"] or cursor

    posted: dict = {}

    def later():
        time.sleep(1.0)
        with server.client() as c:
            posted["msg"] = post_ok(c, h(team, "owner"), general["id"], "wake up " + unique())
            posted["at"] = time.monotonic()

    t = threading.Thread(target=later)
    started = time.monotonic()
    t.start()
    r = client.get(f"{API}/events", params={"after": cursor, "wait": 20}, headers=hh, timeout=30)
    done = time.monotonic()
    t.join()
    assert r.status_code == 200, r.text
    ids = [e["data"].get("id") for e in r.json()["events"]]
    assert posted["msg"]["id"] in ids, f"wait=20 returned without the posted message: {r.text[:300]}"
    assert done - posted["at"] < 2.5, f"long-poll answered {done - posted['at']:.2f}s after the post (not promptly)"
    assert done - started < 5, f"long-poll took {done - started:.2f}s"


def test_long_poll_parameters(server, team, client):
    hh = h(team, "member")
    for params in ({"wait": 61}, {"wait": -1}, {"wait": "soon"}):
        r = client.get(f"{API}/events", params=params, headers=hh)
        assert_problem(r, 422)
    r = client.get(f"{API}/events", params={"after": "garbage", "wait": 0}, headers=hh)
    assert r.status_code in (400, 410, 422), f"garbage cursor: {r.status_code} {r.text}"
    assert_problem(r, r.status_code)
    r = client.get(f"{API}/events", params={"wait": 0})
    assert_problem(r, 401)


# ======================================================================================
# Abuse
# ======================================================================================

def _raw_upgrade(server: Server, request: bytes, then: bytes = b"") -> None:
    with socket.create_connection((server.host, server.port), timeout=5) as s:
        s.sendall(request)
        if then:
            try:
                s.settimeout(1)
                s.recv(4096)
                s.sendall(then)
            except OSError:
                pass


def test_bad_frames_never_crash_the_server(server, team, general, client, streams):
    tok = token(team, "member")
    # junk before authentication
    for frame in ("x" * 70_000, b"\x00" * 70_000, json.dumps({"type": "auth", "token": "A" * 60_000}),
                  json.dumps({"type": "auth", "token": tok, "resume_from": 5}),
                  json.dumps({"type": "auth", "token": tok, "mentions_only": "yes"}), "\u0000", "{" * 5000):
        conn = ws_connect(server)
        try:
            conn.send(frame)
            code, raw = wait_closed(conn, timeout=12)
            assert not [x for x in raw if '"ready"' in str(x)], f"{str(frame)[:60]!r} was accepted: {raw}"
        finally:
            conn.close()
    # junk after authentication, on one socket
    s, _, _ = connect_as(server, streams, tok)
    for frame in ("]]]]", "{\"type\": \"send\", \"channel_id\": 7}", json.dumps({"type": "send", "text": ["a"]}),
                  json.dumps({"type": "send", "channel_id": general["id"], "text": "x", "metadata": {"a": [[[[[]]]]]},
                              "client_msg_id": "x" * 500}),
                  json.dumps({"type": "ping", "extra": "x" * 60_000})):
        s.send(frame)
    s.send({"type": "ping"})
    s.wait_for(lambda f: f.get("type") == "pong", what="pong after junk")
    s.send("y" * 70_000)  # over the frame limit: the server may close, but must survive
    try:
        wait_closed(s.conn, timeout=5)
    except AssertionError:
        pass
    # broken handshakes and abandoned connections
    host = f"{server.host}:{server.port}".encode()
    _raw_upgrade(server, b"GET /api/v1/ws HTTP/1.1\r\nHost: " + host + b"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: not-base64!!\r\n\r\n")
    _raw_upgrade(server, b"GET /api/v1/ws HTTP/1.1\r\nHost: " + host + b"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
                 then=b"\x81\xff" + b"\xff" * 8 + b"\x00\x00\x00\x00")  # a 2^64-1 byte frame header
    _raw_upgrade(server, b"GET /api/v1/ws HTTP/1.1\r\nHost: " + host + b"\r\nUpgrade: websocket\r\n")
    _raw_upgrade(server, b"GET /api/v1/ws HTTP/1.1\r\nHost: " + host + b"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
                 then=b"\x81\x05hello")  # an unmasked client frame
    for _ in range(20):
        conn = ws_connect(server)
        conn.close_socket()

    health_ok(server)
    with server.client() as c:
        assert c.get("/health").json().get("status") == "ok"
    # and it still serves sockets
    fresh, _, _ = connect_as(server, streams, tok)
    live = post_ok(client, h(team, "owner"), general["id"], "after the abuse " + unique())
    fresh.wait_for(is_event("message.created", id=live["id"]), what="event after the abuse")


def test_resume_tells_a_member_removed_from_a_channel_while_away(server, team, general, client, streams):
    """Removed from a private channel while away, the resumed stream gets that member.left (it no
    longer counts the channel as its own, yet must learn it left) and nothing posted there after."""
    priv = create_channel_ok(client, h(team, "owner"), team["ws"], channel_name("away"), private=True)
    add_member_ok(client, h(team, "owner"), priv["id"], uid(team["member2"]))
    s, ready, _ = connect_as(server, streams, token(team, "member2"))
    s.close()
    r = client.delete(f"{API}/channels/{priv['id']}/members/{uid(team['member2'])}", headers=h(team, "owner"))
    assert r.status_code in (200, 204), f"remove member: {r.status_code} {r.text}"
    gone = post_ok(client, h(team, "owner"), priv["id"], "after the removal " + unique())
    sentinel = post_ok(client, h(team, "owner"), general["id"], "sentinel " + unique())

    s, _, _ = connect_as(server, streams, token(team, "member2"), resume_from=ready["cursor"])
    frames = s.collect_until(is_event("message.created", id=sentinel["id"]), what="sentinel")
    left = [f for f in frames if is_event("member.left", member_id=uid(team["member2"]))(f)]
    assert [f["channel_id"] for f in left] == [priv["id"]], summarize(frames)
    assert gone["id"] not in json.dumps(frames), f"a removed member received the channel: {summarize(frames)}"
