"""Streamed replies (contract v1.1 "Streaming replies and status") end to end: a message posted
with `"stream": true` grows by its sender's appends (REST and WebSocket), each fanned out as an
ephemeral `message.delta` `{"message_id","offset","append"}` and saved at once (a reader who
arrives mid-stream reads the text so far; nothing is written to the event log per append);
appends have their own `stream` limit and never spend `send`; the final (or the server, at the
timeout, or at start-up after a crash) ends it with `message.updated` `streaming: false`, and only
then are mentions woken; only the sender streams; limits give 422 and nothing half-done.

Independent clients only: httpx for REST, the `websockets` library for the sockets, sqlite3/psql
for the rows.
"""

from __future__ import annotations

import time

import httpx
import pytest

from conftest import BACKEND, assert_problem, create_owner, running_server
from helpers_agents import create_key_ok
from helpers_identity import bearer
from helpers_messaging import (API, MESSAGING_SERVER_ENV, channel_name, create_channel_ok, is_event, list_messages, open_stream, post,
                               post_ok, uid, unique)
# the module's fixtures
from helpers_messaging import general, server, server_survives, streams, team  # noqa: F401


def h(team, who):
    return team[who]["headers"]


@pytest.fixture(scope="module")
def bot_key(server, team, general):
    with server.client() as c:
        return create_key_ok(c, h(team, "owner"), team["ws"], team["bot"]["id"], ["messages:read", "messages:write"])["key"]


def start(c: httpx.Client, headers: dict, channel_id: str, text: str | None = None, **extra) -> dict:
    body = {"stream": True, **extra}
    if text is not None:
        body["text"] = text
    r = c.post(f"{API}/channels/{channel_id}/messages", headers=headers, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def append(c: httpx.Client, headers: dict, message_id: str, text: str) -> httpx.Response:
    return c.post(f"{API}/messages/{message_id}/stream", headers=headers, json={"append": text})


def final(c: httpx.Client, headers: dict, message_id: str, **extra) -> httpx.Response:
    return c.post(f"{API}/messages/{message_id}/stream", headers=headers, json={"final": True, **extra})


def shown(c: httpx.Client, headers: dict, channel_id: str, message_id: str) -> dict:
    return {m["id"]: m for m in list_messages(c, headers, channel_id)}[message_id]


def test_appends_reach_readers_as_deltas_and_readers_arriving_late_read_the_text_so_far(server, team, general, client, bot_key, streams):
    reader = streams(open_stream(server, team["member"]["access_token"])[0])
    msg = start(client, bearer(bot_key), general["id"])
    assert msg["streaming"] is True and msg["text"] == "" and msg["mentions"] == [], msg
    reader.wait_for(is_event("message.created", id=msg["id"]), what="the streaming message's creation")

    pieces = [f"tok{i} " for i in range(60)] + ["é🙂 ", "done"]
    offsets = []
    for piece in pieces:
        r = append(client, bearer(bot_key), msg["id"], piece)
        assert r.status_code == 200, r.text
        offsets.append(r.json()["offset"])
    expected = "".join(pieces)
    # offsets count Unicode scalar values, and each append starts where the text so far ended
    assert offsets == [len("".join(pieces[:i])) for i in range(len(pieces))], offsets
    # a reader arriving now reads what was streamed so far, saved already
    late = shown(client, h(team, "admin"), general["id"], msg["id"])
    assert late["text"] == expected and late["streaming"] is True, late

    deltas = []
    while len(deltas) < len(pieces):
        frame = reader.wait_for(is_event("message.delta", message_id=msg["id"]), what=f"delta {len(deltas) + 1} of {len(pieces)}")
        assert frame["ephemeral"] is True, frame
        deltas.append(frame["data"])
    rebuilt = ""
    for d in sorted(deltas, key=lambda d: d["offset"]):
        assert d["offset"] == len(rebuilt), (d, len(rebuilt))
        rebuilt += d["append"]
    assert rebuilt == expected

    finished = final(client, bearer(bot_key), msg["id"])
    assert finished.status_code == 200, finished.text
    assert finished.json()["streaming"] is False and finished.json()["text"] == expected
    updated = reader.wait_for(is_event("message.updated", id=msg["id"]), what="message.updated at the final")
    assert updated["data"]["streaming"] is False and updated["data"]["text"] == expected, updated
    # not one event per append in the log, and the created event now shows the final text
    assert server.sql_rows(f"SELECT COUNT(*) FROM events WHERE type = 'message.delta'") == [["0"]]
    assert server.sql_rows(f"SELECT COUNT(*) FROM events WHERE message_id = '{msg['id']}'") == [["2"]]
    assert_problem(append(client, bearer(bot_key), msg["id"], "more"), 409)
    assert_problem(final(client, bearer(bot_key), msg["id"]), 409)


def test_mentions_wake_only_at_the_final(server, team, general, client, bot_key, streams):
    woken = streams(open_stream(server, team["member"]["access_token"], mentions_only=True)[0])
    msg = start(client, bearer(bot_key), general["id"], text="Hey")
    append(client, bearer(bot_key), msg["id"], f" and <@{uid(team['member'])}> look")
    early = woken.quiet(1.0)
    assert not [f for f in early if f.get("data", {}).get("id") == msg["id"]], f"woken before the final: {early}"
    assert final(client, bearer(bot_key), msg["id"]).status_code == 200
    frame = woken.wait_for(is_event("message.updated", id=msg["id"]), what="the wake-up at the final")
    assert frame["mentioned"] is True and uid(team["member"]) in frame["data"]["mentions"], frame


def test_the_final_may_replace_the_text_and_edits_wait_for_it(server, team, general, client, bot_key):
    msg = start(client, bearer(bot_key), general["id"], text="Thinking")
    assert append(client, bearer(bot_key), msg["id"], "…").status_code == 200
    assert_problem(client.patch(f"{API}/messages/{msg['id']}", headers=bearer(bot_key), json={"text": "edited"}), 409)
    r = final(client, bearer(bot_key), msg["id"], text="The answer is 42.")
    assert r.status_code == 200 and r.json()["text"] == "The answer is 42.", r.text
    assert shown(client, h(team, "owner"), general["id"], msg["id"])["text"] == "The answer is 42."
    assert client.patch(f"{API}/messages/{msg['id']}", headers=bearer(bot_key), json={"text": "edited"}).status_code == 200


def test_only_the_sender_streams(server, team, general, client, bot_key):
    msg = start(client, bearer(bot_key), general["id"])
    assert_problem(append(client, h(team, "member"), msg["id"], "not mine"), 403)
    assert_problem(final(client, h(team, "owner"), msg["id"]), 403)
    assert_problem(append(client, h(team, "outsider"), msg["id"], "x"), 404)
    with server.client() as c:
        read_only = create_key_ok(c, h(team, "owner"), team["ws"], team["bot"]["id"], ["messages:read"])["key"]
    assert_problem(append(client, bearer(read_only), msg["id"], "x"), 403)
    plain = post_ok(client, bearer(bot_key), general["id"], "not streamed " + unique())
    assert plain["streaming"] is False
    assert_problem(append(client, bearer(bot_key), plain["id"], "x"), 409)
    assert shown(client, h(team, "owner"), general["id"], msg["id"])["text"] == ""


@pytest.mark.parametrize("body, field", [
    ({"append": ""}, "append"),
    ({"append": "x" * 1001}, "append"),
    ({}, "append"),
    ({"append": "x", "final": True}, "append"),
    ({"append": "x", "text": "y"}, "text"),
    ({"final": True, "text": ""}, "text"),
    ({"append": 5}, "append"),
    ({"append": "x", "extra": 1}, "extra"),
])
def test_bad_stream_bodies_are_422_naming_the_field(server, team, general, client, bot_key, body, field):
    msg = start(client, bearer(bot_key), general["id"], text="start")
    r = client.post(f"{API}/messages/{msg['id']}/stream", headers=bearer(bot_key), json=body)
    problem = assert_problem(r, 422)
    assert field in [e["field"] for e in problem.get("errors", [])], problem
    assert shown(client, h(team, "owner"), general["id"], msg["id"])["text"] == "start"


def test_streaming_over_the_websocket(server, team, general, client, bot_key, streams):
    reader = streams(open_stream(server, team["admin"]["access_token"])[0])
    sock = streams(open_stream(server, bot_key)[0])
    msg = start(client, bearer(bot_key), general["id"])
    for piece in ("Hello", ", ", "world"):
        sock.send({"type": "stream", "message_id": msg["id"], "append": piece})
    sock.send({"type": "stream", "message_id": "msg_doesnotexist00", "append": "x"})
    error = sock.wait_for(lambda f: f.get("type") == "error", what="an error for an unknown message")
    assert error["status"] == 404 and error["message_id"] == "msg_doesnotexist00", error
    sock.send({"type": "stream", "message_id": msg["id"], "final": True})
    ack = sock.wait_for(lambda f: f.get("type") == "ack", what="the final's ack")
    assert ack["message"]["text"] == "Hello, world" and ack["message"]["streaming"] is False, ack
    deltas = [f["data"]["append"] for f in reader.collect_until(is_event("message.updated", id=msg["id"]), what="the final")
              if is_event("message.delta", message_id=msg["id"])(f)]
    assert deltas == ["Hello", ", ", "world"], deltas


def test_a_reply_never_exceeds_the_message_length(conclave_bin):
    env = dict(MESSAGING_SERVER_ENV, CONCLAVE_MAX_MESSAGE_LENGTH="10")
    for srv in running_server(env):
        owner = create_owner(srv, "stream-len@example.com", "Len")
        with srv.client() as c:
            ch = create_channel_ok(c, owner["headers"], owner["workspace_id"], channel_name("len"))
            msg = start(c, owner["headers"], ch["id"], text="12345")
            assert append(c, owner["headers"], msg["id"], "6789").status_code == 200
            problem = assert_problem(append(c, owner["headers"], msg["id"], "ab"), 422)
            assert "append" in [e["field"] for e in problem["errors"]], problem
            assert append(c, owner["headers"], msg["id"], "0").status_code == 200
            assert shown(c, owner["headers"], ch["id"], msg["id"])["text"] == "1234567890"


def test_appends_spend_the_stream_limit_not_send(conclave_bin):
    env = dict(MESSAGING_SERVER_ENV)
    env["CONCLAVE_RATE_LIMITS"] = env["CONCLAVE_RATE_LIMITS"].replace("send=100000/1m:100000", "send=2/1m:2") + ",stream=60/1h:150"
    for srv in running_server(env):
        owner = create_owner(srv, "stream-rate@example.com", "Rate")
        with srv.client() as c:
            ch = create_channel_ok(c, owner["headers"], owner["workspace_id"], channel_name("rate"))
            msg = start(c, owner["headers"], ch["id"])
            codes = [append(c, owner["headers"], msg["id"], "x").status_code for _ in range(150)]
            assert codes == [200] * 150, ([i for i, code in enumerate(codes) if code != 200][:5], append(c, owner["headers"], msg["id"], "x").text)
            refused = append(c, owner["headers"], msg["id"], "x")
            assert_problem(refused, 429)
            # the send budget is intact: one more message still goes through
            post_ok(c, owner["headers"], ch["id"], "still within send")
            assert final(c, owner["headers"], msg["id"]).status_code == 200


def test_an_abandoned_stream_is_finalized_at_its_timeout(conclave_bin):
    env = dict(MESSAGING_SERVER_ENV, CONCLAVE_STREAM_TIMEOUT_SECONDS="2")
    for srv in running_server(env):
        owner = create_owner(srv, "stream-timeout@example.com", "Timeout")
        with srv.client() as c:
            ch = create_channel_ok(c, owner["headers"], owner["workspace_id"], channel_name("timeout"))
            watcher, _, _ = open_stream(srv, owner["access_token"])
            try:
                msg = start(c, owner["headers"], ch["id"], text="partial ")
                assert append(c, owner["headers"], msg["id"], "answer").status_code == 200
                updated = watcher.wait_for(is_event("message.updated", id=msg["id"]), timeout=20, what="the server's final")
            finally:
                watcher.close()
            assert updated["data"]["streaming"] is False and updated["data"]["text"] == "partial answer", updated
            assert_problem(append(c, owner["headers"], msg["id"], "late"), 409)


@pytest.mark.skipif(BACKEND != "sqlite", reason="one process owns a SQLite file: its restart ends the streams it served")
def test_a_crash_mid_stream_leaves_the_saved_text_finalized_after_restart(make_server):
    srv = make_server(MESSAGING_SERVER_ENV)
    owner = create_owner(srv, "stream-crash@example.com", "Crash")
    with srv.client() as c:
        ch = create_channel_ok(c, owner["headers"], owner["workspace_id"], channel_name("crash"))
        msg = start(c, owner["headers"], ch["id"])
        for piece in ("saved ", "before ", "the crash"):
            assert append(c, owner["headers"], msg["id"], piece).status_code == 200
    srv.kill()
    srv.start()
    with srv.client() as c:
        deadline = time.monotonic() + 20
        while True:
            got = shown(c, owner["headers"], ch["id"], msg["id"])
            if not got["streaming"] or time.monotonic() > deadline:
                break
            time.sleep(0.3)
    assert got["streaming"] is False and got["text"] == "saved before the crash", got
