"""Status (contract v1.1 "Streaming replies and status") end to end:
`POST /api/v1/channels/{ch}/status {"state","text"?,"ttl_s"?}` sends an ephemeral `status.updated`
to the channel's members' live sockets (never to others, never to `mentions_only` streams, never
to long polls, never written to the event log, so never replayed on resume); it ends at its TTL,
with `{"state":"idle"}`, or with the principal's next message in that channel (a clearing
`status.updated` with `reason`, after the message); who may set one (posters of the channel);
bad bodies are 422 naming the field; the `status` limit answers 429.

Independent clients only: httpx for REST, the `websockets` library for the sockets, sqlite3/psql
for the rows.
"""

from __future__ import annotations

import time

import httpx
import pytest

from conftest import assert_problem, create_owner, running_server
from helpers_agents import create_key_ok
from helpers_identity import bearer
from helpers_messaging import (API, MESSAGING_SERVER_ENV, channel_name, create_channel_ok, is_event, open_stream, post_ok,
                               uid, unique)
# the module's fixtures
from helpers_messaging import general, server, server_survives, streams, team  # noqa: F401


def h(team, who):
    return team[who]["headers"]


def set_status(c: httpx.Client, headers: dict, channel_id: str, **body) -> httpx.Response:
    return c.post(f"{API}/channels/{channel_id}/status", headers=headers, json=body)


def ok(r: httpx.Response) -> dict:
    assert r.status_code == 200, f"{r.request.method} {r.request.url.path}: {r.status_code} {r.text[:300]}"
    return r.json()


def status_of(principal_id: str, **data):
    return is_event("status.updated", principal_id=principal_id, **data)


def statuses(frames: list[dict]) -> list[dict]:
    return [f for f in frames if f.get("event") == "status.updated"]


def test_members_sockets_see_a_status_and_its_ttl_end_it(server, team, general, client, streams):
    watcher = streams(open_stream(server, team["admin"]["access_token"])[0])
    own, _, _ = open_stream(server, team["member"]["access_token"])
    streams(own)
    started = time.monotonic()
    answer = ok(set_status(client, h(team, "member"), general["id"], state="thinking", text="Reading the logs…", ttl_s=2))
    me = uid(team["member"])
    assert answer["principal_id"] == me and answer["channel_id"] == general["id"], answer
    assert answer["state"] == "thinking" and answer["text"] == "Reading the logs…" and answer["expires_at"], answer

    frame = watcher.wait_for(status_of(me, state="thinking"), what="the status on a member's socket")
    assert frame["ephemeral"] is True and frame["channel_id"] == general["id"], frame
    assert frame["workspace_id"] == team["ws"] and frame["cursor"], frame
    assert frame["data"] == answer, (frame["data"], answer)
    own.wait_for(status_of(me, state="thinking"), what="the status on its own principal's socket")

    cleared = watcher.wait_for(status_of(me, state="idle"), timeout=10, what="the status cleared at its TTL")
    waited = time.monotonic() - started
    assert 1.5 <= waited <= 6, f"a 2 s status ended after {waited:.1f} s"
    assert cleared["data"]["reason"] == "expired" and cleared["data"]["text"] is None, cleared
    assert cleared["data"]["expires_at"] is None, cleared


def test_the_next_message_or_idle_ends_a_status(server, team, general, client, streams):
    watcher = streams(open_stream(server, team["admin"]["access_token"])[0])
    me = uid(team["member2"])
    ok(set_status(client, h(team, "member2"), general["id"], state="typing"))
    watcher.wait_for(status_of(me, state="typing"), what="typing")
    msg = post_ok(client, h(team, "member2"), general["id"], "done typing " + unique())
    frames = watcher.collect_until(status_of(me, state="idle"), what="the status cleared by the message")
    kinds = [(f["event"], (f["data"].get("id") or f["data"].get("state"))) for f in frames]
    assert kinds.index(("message.created", msg["id"])) < kinds.index(("status.updated", "idle")), \
        f"the clearing status must follow the message: {kinds}"
    assert frames[-1]["data"]["reason"] == "message", frames[-1]

    ok(set_status(client, h(team, "member2"), general["id"], state="working", text="Deploying", ttl_s=120))
    watcher.wait_for(status_of(me, state="working"), what="working")
    answer = ok(set_status(client, h(team, "member2"), general["id"], state="idle"))
    assert answer["state"] == "idle" and answer["reason"] == "cleared" and answer["expires_at"] is None, answer
    watcher.wait_for(status_of(me, state="idle", reason="cleared"), what="the status cleared by idle")
    # cleared, so neither the TTL (120 s, far away) nor the next message clears it again
    post_ok(client, h(team, "member2"), general["id"], "after idle " + unique())
    later = watcher.quiet(1.0)
    assert not statuses(later), f"a cleared status was cleared again: {statuses(later)}"


def test_only_the_channels_readers_see_it_and_nothing_is_stored(server, team, general, client, streams):
    private = create_channel_ok(client, h(team, "owner"), team["ws"], channel_name("st-priv"), private=True)
    not_in_channel = streams(open_stream(server, team["member"]["access_token"])[0])
    other_ws = streams(open_stream(server, team["outsider"]["access_token"])[0])
    owner = streams(open_stream(server, team["owner"]["access_token"])[0])
    wake_only = streams(open_stream(server, team["owner"]["access_token"], mentions_only=True)[0])
    before, ready, _ = open_stream(server, team["owner"]["access_token"])
    before.close()
    start = ready["cursor"]

    secret_text = "Drafting the acquisition " + unique()
    ok(set_status(client, h(team, "owner"), private["id"], state="working", text=secret_text))
    owner.wait_for(status_of(uid(team["owner"]), state="working"), what="the owner's own status in the private channel")
    marker = post_ok(client, h(team, "owner"), general["id"], "marker " + unique())
    seen = not_in_channel.collect_until(is_event("message.created", id=marker["id"]), what="the marker after the status")
    assert not statuses(seen), f"a workspace member outside the private channel saw its status: {statuses(seen)}"
    assert not statuses(other_ws.quiet(1.0)), "another workspace's member saw the status"
    assert not statuses(wake_only.quiet(1.0)), "a mentions_only stream got a status"

    # not in the log: a long poll and a resumed socket never see it, and no row holds it
    poll = client.get(f"{API}/events", headers=h(team, "owner"), params={"after": start, "wait": 0})
    assert poll.status_code == 200, poll.text
    assert [e["event"] for e in poll.json()["events"]] and \
        not [e for e in poll.json()["events"] if e.get("event") == "status.updated"], poll.json()
    resumed, _, replayed = open_stream(server, team["owner"]["access_token"], resume_from=start)
    streams(resumed)
    assert not statuses(replayed + resumed.quiet(1.0)), "a resumed socket was replayed a status"
    assert server.sql_rows("SELECT COUNT(*) FROM events WHERE type = 'status.updated'") == [["0"]]
    assert server.sql_rows(f"SELECT COUNT(*) FROM events WHERE data LIKE '%{secret_text}%'") == [["0"]]


def test_who_may_set_a_status(server, team, general, client):
    # a viewer reads but may not post: no status either
    assert_problem(set_status(client, h(team, "viewer"), general["id"], state="typing"), 403)
    # another workspace's member, and a private channel's non-member: the channel does not exist for them
    assert_problem(set_status(client, h(team, "outsider"), general["id"], state="typing"), 404)
    private = create_channel_ok(client, h(team, "owner"), team["ws"], channel_name("st-who"), private=True)
    assert_problem(set_status(client, h(team, "member"), private["id"], state="typing"), 404)
    # an API key without messages:write, even of a channel member
    read_only = create_key_ok(client, h(team, "owner"), team["ws"], team["bot"]["id"], ["messages:read"])["key"]
    body = assert_problem(set_status(client, bearer(read_only), general["id"], state="thinking"), 403)
    assert "messages:write" in body.get("detail", ""), body
    writer = create_key_ok(client, h(team, "owner"), team["ws"], team["bot"]["id"], ["messages:write"])["key"]
    assert ok(set_status(client, bearer(writer), general["id"], state="thinking"))["principal_id"] == team["bot"]["id"]


@pytest.mark.parametrize("body, field", [
    ({"state": "sleeping"}, "state"),
    ({}, "state"),
    ({"state": "typing", "ttl_s": 0}, "ttl_s"),
    ({"state": "typing", "ttl_s": 121}, "ttl_s"),
    ({"state": "typing", "ttl_s": "10"}, "ttl_s"),
    ({"state": "working", "text": "x" * 101}, "text"),
    ({"state": "working", "text": "two\nlines"}, "text"),
    ({"state": "working", "text": "evil\u202etxt.exe"}, "text"),
    ({"state": "idle", "text": "done"}, "text"),
    ({"state": "typing", "mood": "happy"}, "mood"),
])
def test_bad_bodies_are_422_naming_the_field(server, team, general, client, body, field):
    problem = assert_problem(set_status(client, h(team, "member"), general["id"], **body), 422)
    assert field in [e.get("field") for e in problem.get("errors", [])], problem


def test_the_status_limit_answers_429(conclave_bin):
    env = dict(MESSAGING_SERVER_ENV)
    env["CONCLAVE_RATE_LIMITS"] += ",status=3/1m"
    for server in running_server(env):
        owner = create_owner(server, "status-limit@example.com", "Limits")
        with server.client() as c:
            ch = create_channel_ok(c, owner["headers"], owner["workspace_id"], channel_name("st-limit"))
            for _ in range(3):
                ok(set_status(c, owner["headers"], ch["id"], state="typing"))
            refused = set_status(c, owner["headers"], ch["id"], state="typing")
            assert_problem(refused, 429)
            assert int(refused.headers["Retry-After"]) >= 1, refused.headers
            # the send budget is separate: a message still goes through
            post_ok(c, owner["headers"], ch["id"], "still sending " + unique())
