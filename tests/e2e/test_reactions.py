"""Reactions (contract v1.1) end to end: `PUT`/`DELETE /api/v1/messages/{msg}/reactions/{emoji}`
are idempotent and answer 200 `{"emoji","count","me"}`; messages carry `reactions` with `me` as
the reader sees it; concurrent reactors are all counted; who may react (posters of the channel:
viewers 403, keys need `messages:write`, other workspaces 404); which emoji are accepted (422
naming `emoji` otherwise); `reaction.added`/`reaction.removed` events live and on resume exactly
once, never on `mentions_only` streams; a message takes at most 50 different emoji; a deleted
message's (or channel's) reactions leave no row behind.

Independent clients only: httpx for REST, the `websockets` library for the stream, sqlite3/psql
for the rows.
"""

from __future__ import annotations

import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from conftest import assert_problem
from helpers_agents import create_agent_ok, create_key_ok
from helpers_identity import bearer
from helpers_messaging import (API, add_member_ok, channel_name, create_channel_ok, is_event, list_messages,
                               open_stream, post_ok, summarize, uid, unique)
# the module's fixtures
from helpers_messaging import general, server, server_survives, streams, team  # noqa: F401


def h(team, who):
    return team[who]["headers"]


def reaction_url(message_id: str, emoji: str) -> str:
    return f"{API}/messages/{message_id}/reactions/{urllib.parse.quote(emoji, safe='')}"


def react(c: httpx.Client, headers: dict, message_id: str, emoji: str) -> httpx.Response:
    return c.put(reaction_url(message_id, emoji), headers=headers)


def unreact(c: httpx.Client, headers: dict, message_id: str, emoji: str) -> httpx.Response:
    return c.delete(reaction_url(message_id, emoji), headers=headers)


def ok(r: httpx.Response) -> dict:
    assert r.status_code == 200, f"{r.request.method} {r.request.url.path}: {r.status_code} {r.text[:300]}"
    return r.json()


def reactions_of(c: httpx.Client, headers: dict, channel_id: str, message_id: str) -> list[dict]:
    message = {m["id"]: m for m in list_messages(c, headers, channel_id)}[message_id]
    return message["reactions"]


def reaction_rows(server, message_id: str) -> int:
    return int(server.sql_rows(f"SELECT COUNT(*) FROM message_reactions WHERE message_id = '{message_id}'")[0][0])


def test_add_and_remove_are_idempotent_with_counts_and_me(server, team, general, client):
    msg = post_ok(client, h(team, "member"), general["id"], "react to me " + unique())
    assert msg["reactions"] == [], msg

    first = ok(react(client, h(team, "member"), msg["id"], "👍"))
    assert first == {"emoji": "👍", "count": 1, "me": True}, first
    again = ok(react(client, h(team, "member"), msg["id"], "👍"))
    assert again == first, f"a repeated PUT answers differently: {again} vs {first}"
    assert ok(react(client, h(team, "member2"), msg["id"], "👍")) == {"emoji": "👍", "count": 2, "me": True}
    assert ok(react(client, h(team, "member2"), msg["id"], ":party_parrot:"))["count"] == 1

    assert reactions_of(client, h(team, "member"), general["id"], msg["id"]) == [
        {"emoji": "👍", "count": 2, "me": True}, {"emoji": ":party_parrot:", "count": 1, "me": False}]
    assert reactions_of(client, h(team, "admin"), general["id"], msg["id"]) == [
        {"emoji": "👍", "count": 2, "me": False}, {"emoji": ":party_parrot:", "count": 1, "me": False}]

    removed = ok(unreact(client, h(team, "member"), msg["id"], "👍"))
    assert removed == {"emoji": "👍", "count": 1, "me": False}, removed
    assert ok(unreact(client, h(team, "member"), msg["id"], "👍")) == removed, "a repeated DELETE answers differently"
    # removing what one never added changes nothing
    assert ok(unreact(client, h(team, "admin"), msg["id"], ":party_parrot:")) == {"emoji": ":party_parrot:", "count": 1, "me": False}
    assert reactions_of(client, h(team, "member2"), general["id"], msg["id"]) == [
        {"emoji": "👍", "count": 1, "me": True}, {"emoji": ":party_parrot:", "count": 1, "me": True}]
    # an edit keeps them, seen from the editor's side
    r = client.patch(f"{API}/messages/{msg['id']}", json={"text": "edited"}, headers=h(team, "member"))
    assert ok(r)["reactions"] == [{"emoji": "👍", "count": 1, "me": False}, {"emoji": ":party_parrot:", "count": 1, "me": False}]


@pytest.mark.parametrize("emoji", ["❤️", "👍🏽", "👩‍👩‍👧‍👦", "🇫🇷", "1️⃣", ":+1:", ":" + "a" * 62 + ":"])
def test_every_kind_of_emoji_is_accepted(server, team, general, client, emoji):
    msg = post_ok(client, h(team, "member"), general["id"], "kinds " + unique())
    assert ok(react(client, h(team, "member"), msg["id"], emoji)) == {"emoji": emoji, "count": 1, "me": True}
    assert reactions_of(client, h(team, "member"), general["id"], msg["id"]) == [{"emoji": emoji, "count": 1, "me": True}]


@pytest.mark.parametrize("segment", [
    "text", urllib.parse.quote("👍👍"), ":" + "a" * 63 + ":", urllib.parse.quote(":bad name:"), "%3AUpper%3A", "1",
    urllib.parse.quote("👍") + "x", "%EF%B8%8F", "%F0%9F", "%25F0%259F%2591%258D",  # the last is 👍 encoded twice: decoded once only
])
def test_invalid_emoji_is_422_naming_emoji(server, team, general, client, segment):
    msg = post_ok(client, h(team, "member"), general["id"], "invalid " + unique())
    for method in ("PUT", "DELETE"):
        r = client.request(method, f"{API}/messages/{msg['id']}/reactions/{segment}", headers=h(team, "member"))
        body = assert_problem(r, 422)
        assert [e.get("field") for e in body.get("errors") or []] == ["emoji"], body
    assert reactions_of(client, h(team, "member"), general["id"], msg["id"]) == []


def test_twenty_concurrent_reactors_are_all_counted(server, team, general, client):
    msg = post_ok(client, h(team, "member"), general["id"], "race " + unique())
    keys = []
    for i in range(20):
        creator = "owner" if i % 2 else "admin"
        agent = create_agent_ok(client, h(team, creator), team["ws"], f"Reactor {i} {unique()}")
        add_member_ok(client, h(team, "owner"), general["id"], agent["id"])
        keys.append(create_key_ok(client, h(team, creator), team["ws"], agent["id"], ["messages:read", "messages:write"])["key"])

    def each(call, key: str) -> httpx.Response:
        with server.client() as c:  # a connection per reactor
            return call(c, bearer(key), msg["id"], "🎉")

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda key: each(react, key), keys))
    counts = sorted(ok(r)["count"] for r in answers)
    assert counts == list(range(1, 21)), f"each reactor should see the count after its own reaction: {counts}"
    assert reactions_of(client, h(team, "member"), general["id"], msg["id"]) == [{"emoji": "🎉", "count": 20, "me": False}]
    assert reaction_rows(server, msg["id"]) == 20

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda key: each(unreact, key), keys))
    assert sorted(ok(r)["count"] for r in answers) == list(range(0, 20))
    assert reactions_of(client, h(team, "member"), general["id"], msg["id"]) == []


def test_who_may_react(server, team, general, client):
    msg = post_ok(client, h(team, "member"), general["id"], "who may " + unique())
    # a viewer (a channel member) reads but may not post, so may not react
    assert_problem(react(client, h(team, "viewer"), msg["id"], "👍"), 403)
    assert_problem(unreact(client, h(team, "viewer"), msg["id"], "👍"), 403)
    # another workspace's member: the message does not exist for it
    assert_problem(react(client, h(team, "outsider"), msg["id"], "👍"), 404)
    # a private channel's message, to a workspace member who is not in it
    private = create_channel_ok(client, h(team, "owner"), team["ws"], channel_name("rx-priv"), private=True)
    secret = post_ok(client, h(team, "owner"), private["id"], "private " + unique())
    assert_problem(react(client, h(team, "member"), secret["id"], "👍"), 404)
    # an API key without messages:write, even of a channel member
    read_only = create_key_ok(client, h(team, "owner"), team["ws"], team["bot"]["id"], ["messages:read"])["key"]
    body = assert_problem(react(client, bearer(read_only), msg["id"], "👍"), 403)
    assert "messages:write" in body.get("detail", ""), body
    writer = create_key_ok(client, h(team, "owner"), team["ws"], team["bot"]["id"], ["messages:write"])["key"]
    assert ok(react(client, bearer(writer), msg["id"], "👍"))["count"] == 1
    assert reaction_rows(server, msg["id"]) == 1
    assert reaction_rows(server, secret["id"]) == 0


def test_events_live_and_on_resume_exactly_once(server, team, general, client, streams):
    live, ready, _ = open_stream(server, team["admin"]["access_token"])
    streams(live)
    msg = post_ok(client, h(team, "member"), general["id"], "events " + unique())
    live.wait_for(is_event("message.created", id=msg["id"]), what="a message.created before the reactions")
    start = ready["cursor"]

    ok(react(client, h(team, "member2"), msg["id"], "👀"))
    ok(react(client, h(team, "member2"), msg["id"], "👀"))  # a repeat: no event
    ok(react(client, h(team, "member"), msg["id"], "👀"))
    ok(unreact(client, h(team, "member2"), msg["id"], "👀"))
    ok(unreact(client, h(team, "member2"), msg["id"], "👀"))  # a repeat: no event
    marker = post_ok(client, h(team, "member"), general["id"], "after the reactions " + unique())

    def about_msg(frames):
        return [(f["event"], f["data"]) for f in frames
                if f.get("event", "").startswith("reaction.") and f["data"].get("message_id") == msg["id"]]

    expected = [
        ("reaction.added", {"message_id": msg["id"], "channel_id": general["id"], "emoji": "👀",
                            "principal_id": uid(team["member2"]), "count": 1}),
        ("reaction.added", {"message_id": msg["id"], "channel_id": general["id"], "emoji": "👀",
                            "principal_id": uid(team["member"]), "count": 2}),
        ("reaction.removed", {"message_id": msg["id"], "channel_id": general["id"], "emoji": "👀",
                              "principal_id": uid(team["member2"]), "count": 1}),
    ]
    frames = live.collect_until(is_event("message.created", id=marker["id"]), what="the marker message")
    assert about_msg(frames) == expected, summarize(frames)
    for f in frames:
        if f.get("event", "").startswith("reaction."):
            assert f.get("channel_id") == general["id"] and "mentioned" not in f, f

    # a stream resumed from before them replays each exactly once, in order, then goes live
    resumed, _, early = open_stream(server, team["admin"]["access_token"], resume_from=start)
    streams(resumed)
    assert not [f for f in early if f.get("type") == "resume_failed"], early
    replayed = early + resumed.collect_until(is_event("message.created", id=marker["id"]), what="the replayed marker")
    assert about_msg(replayed) == expected, summarize(replayed)
    ok(react(client, h(team, "member2"), msg["id"], "✅"))
    frame = resumed.wait_for(lambda f: f.get("event") == "reaction.added" and f["data"].get("emoji") == "✅")
    assert frame["data"]["count"] == 1 and frame["data"]["principal_id"] == uid(team["member2"]), frame


def test_reactions_never_reach_mentions_only_streams(server, team, general, client, streams):
    key = create_key_ok(client, h(team, "owner"), team["ws"], team["bot"]["id"], ["messages:read", "messages:write",
                                                                                 "channels:read", "channels:write"])["key"]
    bots_own = post_ok(client, bearer(key), general["id"], "the bot speaks " + unique())
    r = client.post(f"{API}/workspaces/{team['ws']}/dms", json={"member_ids": [team["bot"]["id"]]}, headers=h(team, "member"))
    assert r.status_code in (200, 201), f"open DM: {r.status_code} {r.text}"
    dm = r.json()
    in_dm = post_ok(client, h(team, "member"), dm["id"], "in the DM " + unique())

    woken, _, _ = open_stream(server, key, mentions_only=True)
    streams(woken)
    everything, _, _ = open_stream(server, key)
    streams(everything)
    ok(react(client, h(team, "member"), bots_own["id"], "🤖"))  # on the agent's own message
    ok(react(client, h(team, "member"), in_dm["id"], "🤖"))     # in its DM, where mentions_only passes everything else
    ok(unreact(client, h(team, "member"), in_dm["id"], "🤖"))
    wake = post_ok(client, h(team, "member"), general["id"], f"<@{team['bot']['id']}> wake up " + unique())

    seen = everything.collect_until(is_event("message.created", id=wake["id"]), what="the mention (plain stream)")
    assert len([f for f in seen if f.get("event", "").startswith("reaction.")]) == 3, summarize(seen)
    frames = woken.collect_until(is_event("message.created", id=wake["id"]), what="the mention (mentions_only)")
    assert not [f for f in frames if f.get("event", "").startswith("reaction.")], summarize(frames)
    assert frames[-1].get("mentioned") is True, frames[-1]


def test_a_message_takes_at_most_fifty_emoji(server, team, general, client):
    msg = post_ok(client, h(team, "member"), general["id"], "cap " + unique())
    def add(i: int) -> httpx.Response:
        with server.client() as c:
            return react(c, h(team, "member"), msg["id"], f":e{i}:")

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(add, range(50)))
    assert all(r.status_code == 200 for r in answers), [r.status_code for r in answers]
    body = assert_problem(react(client, h(team, "member"), msg["id"], ":one_too_many:"), 409)
    assert "50" in body.get("detail", ""), body
    # one of the fifty may still gain reactors
    assert ok(react(client, h(team, "member2"), msg["id"], ":e7:"))["count"] == 2
    assert len(reactions_of(client, h(team, "member"), general["id"], msg["id"])) == 50
    assert reaction_rows(server, msg["id"]) == 51


def test_deleting_a_message_or_channel_erases_its_reactions(server, team, general, client, streams):
    msg = post_ok(client, h(team, "member"), general["id"], "doomed " + unique())
    before, ready, _ = open_stream(server, team["admin"]["access_token"])
    streams(before)
    start = ready["cursor"]
    ok(react(client, h(team, "member"), msg["id"], ":secret_reaction:"))
    ok(react(client, h(team, "member2"), msg["id"], "🔥"))
    assert reaction_rows(server, msg["id"]) == 2
    r = client.delete(f"{API}/messages/{msg['id']}", headers=h(team, "member"))
    assert r.status_code == 204, f"delete: {r.status_code} {r.text}"
    assert reaction_rows(server, msg["id"]) == 0, "a deleted message's reactions stay in the database"
    tomb = {m["id"]: m for m in list_messages(client, h(team, "member"), general["id"])}[msg["id"]]
    assert tomb["deleted"] is True and tomb["reactions"] == [], tomb
    # reacting to a tombstone is refused
    body = assert_problem(react(client, h(team, "member2"), msg["id"], "👍"), 409)
    assert "deleted" in body.get("detail", ""), body
    assert reaction_rows(server, msg["id"]) == 0
    # who reacted with what is gone from the log too: a resumed stream sees the events without it
    marker = post_ok(client, h(team, "member"), general["id"], "after the deletion " + unique())
    resumed, _, early = open_stream(server, team["admin"]["access_token"], resume_from=start)
    streams(resumed)
    replayed = early + resumed.collect_until(is_event("message.created", id=marker["id"]), what="the replayed marker")
    about = [f for f in replayed if f.get("event", "").startswith("reaction.") and f["data"].get("message_id") == msg["id"]]
    assert len(about) == 2, summarize(replayed)
    assert all(f["data"] == {"message_id": msg["id"], "channel_id": general["id"], "deleted": True} for f in about), about
    assert ":secret_reaction:" not in server.sql("SELECT data FROM events").stdout

    # a deleted channel takes its messages' reactions with it
    doomed = create_channel_ok(client, h(team, "owner"), team["ws"], channel_name("rx-doomed"))
    inside = post_ok(client, h(team, "owner"), doomed["id"], "inside " + unique())
    ok(react(client, h(team, "owner"), inside["id"], "💥"))
    assert reaction_rows(server, inside["id"]) == 1
    r = client.delete(f"{API}/channels/{doomed['id']}", headers=h(team, "owner"))
    assert r.status_code in (200, 204), f"delete channel: {r.status_code} {r.text}"
    assert reaction_rows(server, inside["id"]) == 0, "a deleted channel's reactions stay in the database"
