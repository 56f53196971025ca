"""Channels and messages end to end: channel creation and name rules, who sees which channel,
private channels and other workspaces (404), viewers and API-key scopes (403), id checks (400),
per-channel seq, client_msg_id idempotency, text and metadata limits, mentions, threads, edit and
delete rules with tombstones, read markers, DMs, concurrent posting, and that a deleted message's
text is gone from storage (data dir files including the SQLite WAL; PostgreSQL tables).

Everything goes over real HTTP; the only back doors are the data dir / database.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import BACKEND, Server, assert_problem, create_owner, strip_per_request
from helpers_agents import data_dir_blobs, postgres_dump
from helpers_messaging import (API, MESSAGING_SERVER_ENV, add_member, add_member_ok, agent_key,
                               channel_name, create_channel, create_channel_ok, join_ok, list_channels,
                               list_messages, post, post_ok, uid, unique)
# the module's fixtures
from helpers_messaging import general, server, server_survives, team  # noqa: F401
from helpers_identity import bearer

RFC3339_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]00:00)$")


def h(team, who):
    return team[who]["headers"]


# ======================================================================================
# Channels
# ======================================================================================

def test_create_public_and_private_channels(server, team, client):
    ws = team["ws"]
    name = channel_name("pub")
    r = create_channel(client, h(team, "member"), ws, name, False, topic="talk here")
    assert r.status_code == 201, f"POST /workspaces/{ws}/channels public: {r.status_code} {r.text}"
    pub = r.json()
    assert pub["id"].startswith("ch_"), pub
    assert pub["name"] == name and pub["private"] is False, pub
    assert pub.get("topic") == "talk here", pub
    assert pub.get("workspace_id") == ws, pub

    pname = channel_name("priv")
    r = create_channel(client, h(team, "member"), ws, pname, True)
    assert r.status_code == 201, f"POST /workspaces/{ws}/channels private: {r.status_code} {r.text}"
    priv = r.json()
    assert priv["private"] is True and priv["name"] == pname, priv

    r = client.get(f"{API}/channels/{priv['id']}", headers=h(team, "member"))
    assert r.status_code == 200, f"creator reads its private channel: {r.status_code} {r.text}"
    assert r.json()["id"] == priv["id"] and r.json()["private"] is True, r.json()
    # the creator is a member: it can post at once
    post_ok(client, h(team, "member"), priv["id"], "first words")


@pytest.mark.parametrize("name", ["", "General", "has space", "a" * 81, "ünï", "dot.name", "semi;colon",
                                  "tab\tname", "emoji-😀", "slash/name"])
def test_channel_name_rules(server, team, client, name):
    r = create_channel(client, h(team, "member"), team["ws"], name)
    body = assert_problem(r, 422)
    assert "name" in [e.get("field") for e in body.get("errors") or []], body


def test_channel_name_edges_and_duplicates(server, team, client):
    ws = team["ws"]
    longest = ("z" + secrets.token_hex(6) + "-_0").ljust(80, "9")
    assert len(longest) == 80
    r = create_channel(client, h(team, "member"), ws, longest)
    assert r.status_code == 201, f"80-char name: {r.status_code} {r.text}"
    r = create_channel(client, h(team, "member"), ws, "x")
    assert r.status_code in (201, 409), f"1-char name: {r.status_code} {r.text}"

    name = channel_name("dup")
    create_channel_ok(client, h(team, "member"), ws, name)
    assert_problem(create_channel(client, h(team, "member2"), ws, name), 409)
    # unique per workspace, whatever the visibility
    assert_problem(create_channel(client, h(team, "owner"), ws, name, True), 409)
    # ... and only per workspace
    r = create_channel(client, h(team, "owner"), team["other_ws"], name)
    assert r.status_code == 201, f"same name in another workspace: {r.status_code} {r.text}"


def test_list_shows_public_and_own_private_only(server, team, client):
    ws = team["ws"]
    pub = create_channel_ok(client, h(team, "owner"), ws, channel_name("listpub"))
    owners_private = create_channel_ok(client, h(team, "owner"), ws, channel_name("ownpriv"), private=True)
    members_private = create_channel_ok(client, h(team, "member"), ws, channel_name("mempriv"), private=True)
    shared_private = create_channel_ok(client, h(team, "owner"), ws, channel_name("shared"), private=True)
    add_member_ok(client, h(team, "owner"), shared_private["id"], uid(team["member2"]))

    seen = {who: {c["id"] for c in list_channels(client, h(team, who), ws)} for who in ("owner", "member", "member2", "admin")}
    assert pub["id"] in seen["member"] and pub["id"] in seen["member2"] and pub["id"] in seen["admin"], seen
    assert owners_private["id"] in seen["owner"], "the owner does not see its own private channel"
    assert members_private["id"] in seen["member"], "the member does not see its own private channel"
    assert owners_private["id"] not in seen["member"], "a member lists someone else's private channel"
    assert members_private["id"] not in seen["owner"], "the owner (not a member) lists a member's private channel"
    assert members_private["id"] not in seen["admin"], "an admin (not a member) lists a member's private channel"
    assert shared_private["id"] in seen["member2"], "a member added to a private channel does not see it"
    assert shared_private["id"] not in seen["member"], "a private channel leaks to a non-member"

    # the outsider cannot list this workspace's channels at all
    assert_problem(client.get(f"{API}/workspaces/{ws}/channels", headers=h(team, "outsider")), 404)


def test_private_channel_is_404_to_non_members(server, team, client):
    ws = team["ws"]
    priv = create_channel_ok(client, h(team, "owner"), ws, channel_name("secret"), private=True)
    msg = post_ok(client, h(team, "owner"), priv["id"], "top secret " + unique())
    ghost = "ch_" + "Q" * 20  # well-formed, never issued
    r_ghost = client.get(f"{API}/channels/{ghost}", headers=h(team, "member2"))
    ghost_body = assert_problem(r_ghost, 404)

    for who in ("member2", "admin", "viewer"):
        hh = h(team, who)
        r = client.get(f"{API}/channels/{priv['id']}", headers=hh)
        body = assert_problem(r, 404)
        assert strip_per_request(body) == strip_per_request(ghost_body), \
            f"{who}: a private channel's 404 differs from an unknown channel's: {body} vs {ghost_body}"
        assert_problem(client.get(f"{API}/channels/{priv['id']}/messages", headers=hh), 404)
        assert_problem(post(client, hh, priv["id"], "let me in"), 404)
        assert_problem(client.post(f"{API}/channels/{priv['id']}/join", headers=hh), 404)
        assert_problem(client.post(f"{API}/channels/{priv['id']}/read", json={"seq": 1}, headers=hh), 404)
        assert_problem(client.patch(f"{API}/messages/{msg['id']}", json={"text": "defaced"}, headers=hh), 404)
        assert_problem(client.delete(f"{API}/messages/{msg['id']}", headers=hh), 404)
        assert_problem(client.post(f"{API}/channels/{priv['id']}/members", json={"member_id": uid(team[who])},
                                   headers=hh), 404)
    # nothing changed: still one message, and member2 is still no member
    assert [m["text"] for m in list_messages(client, h(team, "owner"), priv["id"])] == [msg["text"]]
    assert_problem(client.get(f"{API}/channels/{priv['id']}", headers=h(team, "member2")), 404)


def test_viewer_cannot_post_even_as_channel_member(server, team, general, client):
    ch = general["id"]
    r = client.get(f"{API}/channels/{ch}/messages", headers=h(team, "viewer"))
    assert r.status_code == 200, f"viewer (channel member) reads: {r.status_code} {r.text}"
    before = len(list_messages(client, h(team, "owner"), ch))
    r = post(client, h(team, "viewer"), ch, "viewer speaking")
    assert_problem(r, 403)
    r = post(client, h(team, "viewer"), ch, "viewer speaking", client_msg_id=unique("v"))
    assert_problem(r, 403)
    assert len(list_messages(client, h(team, "owner"), ch)) == before, "a refused post was stored"
    # a viewer cannot create channels either
    assert_problem(create_channel(client, h(team, "viewer"), team["ws"], channel_name("viewer")), 403)


def test_agent_key_is_limited_by_scopes(server, team, general, client):
    ch = general["id"]
    bot = team["bot"]
    read_only = agent_key(client, team, bot["id"], ["messages:read", "channels:read"])
    r = post(client, bearer(read_only), ch, "I should not be able to say this")
    body = assert_problem(r, 403)
    assert "messages:write" in json.dumps(body), f"403 does not name the missing scope: {body}"
    r = client.get(f"{API}/channels/{ch}/messages", headers=bearer(read_only))
    assert r.status_code == 200, f"messages:read key lists messages: {r.status_code} {r.text}"
    assert "I should not be able to say this" not in r.text

    write_only = agent_key(client, team, bot["id"], ["messages:write"])
    r = client.get(f"{API}/channels/{ch}/messages", headers=bearer(write_only))
    body = assert_problem(r, 403)
    assert "messages:read" in json.dumps(body), f"403 does not name the missing scope: {body}"
    r = create_channel(client, bearer(write_only), team["ws"], channel_name("botmade"))
    body = assert_problem(r, 403)
    assert "channels:write" in json.dumps(body), f"403 does not name the missing scope: {body}"

    msg = post_ok(client, bearer(write_only), ch, "hello from the bot")
    assert msg["sender"] == {"id": bot["id"], "kind": "agent"}, msg["sender"]

    # an agent only posts in channels it belongs to
    elsewhere = create_channel_ok(client, h(team, "owner"), team["ws"], channel_name("nobots"))
    r = post(client, bearer(write_only), elsewhere["id"], "uninvited")
    assert r.status_code in (403, 404), f"agent posts in a channel it does not belong to: {r.status_code} {r.text}"
    assert_problem(r, r.status_code)


def test_other_workspaces_channel_is_404(server, team, general, client):
    ch = general["id"]
    msg = post_ok(client, h(team, "owner"), ch, "inside " + unique())
    hh = h(team, "outsider")
    assert_problem(client.get(f"{API}/channels/{ch}", headers=hh), 404)
    assert_problem(client.get(f"{API}/channels/{ch}/messages", headers=hh), 404)
    assert_problem(post(client, hh, ch, "from outside"), 404)
    assert_problem(client.post(f"{API}/channels/{ch}/join", headers=hh), 404)
    assert_problem(client.patch(f"{API}/messages/{msg['id']}", json={"text": "x"}, headers=hh), 404)
    assert_problem(client.delete(f"{API}/messages/{msg['id']}", headers=hh), 404)
    assert_problem(create_channel(client, hh, team["ws"], channel_name("intruder")), 404)
    assert_problem(client.post(f"{API}/workspaces/{team['ws']}/dms", json={"member_ids": [uid(team["member"])]},
                               headers=hh), 404)
    # and a member of this workspace cannot be pulled into the other one's DM or channels
    r = client.post(f"{API}/workspaces/{team['other_ws']}/dms", json={"member_ids": [uid(team["member"])]},
                    headers=h(team, "outsider"))
    assert r.status_code in (403, 404, 422), f"DM with a non-member of the workspace: {r.status_code} {r.text}"


@pytest.mark.parametrize("method,path", [
    ("GET", "/channels/not-an-id"),
    ("GET", "/channels/ch_short"),
    ("GET", "/channels/ch_" + "a" * 41),
    ("GET", "/channels/ch_abc$defghijkl/messages"),
    ("POST", "/channels/CH_ABCDEFGHIJKL/messages"),
    ("POST", "/channels/x/read"),
    ("PATCH", "/messages/msg_!!!!!!!!!!!!"),
    ("DELETE", "/messages/12345"),
    ("POST", "/workspaces/workspace/channels"),
    ("GET", "/workspaces/ws_tiny/channels"),
    ("POST", "/workspaces/ws_%20%20%20%20%20%20%20%20%20%20/dms"),
])
def test_malformed_ids_are_400(server, team, client, method, path):
    r = client.request(method, API + path, json={"text": "hello", "seq": 0, "name": "x", "member_ids": []},
                       headers=h(team, "owner"))
    assert_problem(r, 400)


def test_message_shape_and_seq_per_channel(server, team, client):
    a = create_channel_ok(client, h(team, "member"), team["ws"], channel_name("seqa"))
    b = create_channel_ok(client, h(team, "member"), team["ws"], channel_name("seqb"))
    join_ok(client, h(team, "member2"), a["id"])
    seen = {a["id"]: [], b["id"]: []}
    order = [a, a, b, a, b, b, a]
    for i, ch in enumerate(order):
        who = "member2" if (i % 2 and ch is a) else "member"
        r = post(client, h(team, who), ch["id"], f"message {i}")
        assert r.status_code == 201, f"post #{i}: {r.status_code} {r.text}"
        m = r.json()
        seen[ch["id"]].append(m["seq"])
        assert m["id"].startswith("msg_") and m["channel_id"] == ch["id"], m
        assert m["text"] == f"message {i}", m
        assert m["sender"] == {"id": uid(team[who]), "kind": "human"}, m["sender"]
        assert m["thread_id"] is None and m["edited_at"] is None, m
        assert isinstance(m["created_at"], str) and RFC3339_RE.match(m["created_at"]), m["created_at"]
    assert seen[a["id"]] == [1, 2, 3, 4], f"seqs in channel A: {seen[a['id']]}"
    assert seen[b["id"]] == [1, 2, 3], f"seqs in channel B: {seen[b['id']]}"
    listed = list_messages(client, h(team, "member"), a["id"])
    assert [m["seq"] for m in listed] == [1, 2, 3, 4], listed
    assert [m["text"] for m in listed] == ["message 0", "message 1", "message 3", "message 6"]
    # paging by seq
    r = client.get(f"{API}/channels/{a['id']}/messages", params={"after_seq": 2}, headers=h(team, "member"))
    assert r.status_code == 200 and [m["seq"] for m in r.json()["data"]] == [3, 4], r.text
    r = client.get(f"{API}/channels/{a['id']}/messages", params={"before_seq": 3}, headers=h(team, "member"))
    assert r.status_code == 200 and [m["seq"] for m in r.json()["data"]] == [1, 2], r.text
    r = client.get(f"{API}/channels/{a['id']}/messages", params={"limit": 2}, headers=h(team, "member"))
    assert r.status_code == 200 and [m["seq"] for m in r.json()["data"]] == [1, 2] and r.json()["next_cursor"], r.text


def test_client_msg_id_makes_posting_idempotent(server, team, general, client):
    ch = general["id"]
    cid = unique("cmid")
    r1 = post(client, h(team, "member"), ch, "only once", client_msg_id=cid)
    assert r1.status_code == 201, f"first post: {r1.status_code} {r1.text}"
    first = r1.json()
    r2 = post(client, h(team, "member"), ch, "only once", client_msg_id=cid)
    assert r2.status_code == 200, f"retry with the same client_msg_id: {r2.status_code} {r2.text} (want 200)"
    assert r2.json()["id"] == first["id"] and r2.json()["seq"] == first["seq"], (first, r2.json())
    # even with a different body, the original comes back
    r3 = post(client, h(team, "member"), ch, "a changed retry", client_msg_id=cid)
    assert r3.status_code == 200, f"retry with another text: {r3.status_code} {r3.text}"
    assert r3.json()["id"] == first["id"] and r3.json()["text"] == "only once", r3.json()
    # another sender's client_msg_id space is its own
    r4 = post(client, h(team, "member2"), ch, "only once", client_msg_id=cid)
    assert r4.status_code == 201 and r4.json()["id"] != first["id"], f"{r4.status_code} {r4.text}"

    listed = list_messages(client, h(team, "member"), ch)
    ids = [m["id"] for m in listed]
    assert ids.count(first["id"]) == 1, "the message is listed more than once"
    assert sum(1 for m in listed if m["text"] == "only once" and m["sender"]["id"] == uid(team["member"])) == 1, \
        "the retried post made a duplicate"
    assert "a changed retry" not in [m["text"] for m in listed]
    seqs = [m["seq"] for m in listed]
    assert seqs == list(range(1, len(seqs) + 1)), f"a retry burned a seq: {seqs}"


def test_client_msg_id_window_is_24_hours(server, team, general, client):
    ch = general["id"]
    cid = unique("window")
    first = post_ok(client, h(team, "member"), ch, "yesterday's", client_msg_id=cid)
    # Age the message past the 24 h window (created_at is milliseconds since the epoch).
    server.sql(f"UPDATE messages SET created_at = created_at - {25 * 3600 * 1000} WHERE id = '{first['id']}'")
    r = post(client, h(team, "member"), ch, "today's", client_msg_id=cid)
    assert r.status_code == 201, f"after 24 h the id names a new message: {r.status_code} {r.text}"
    second = r.json()
    assert second["id"] != first["id"] and second["text"] == "today's"
    # The new message now owns the id; the old one is still there.
    again = post(client, h(team, "member"), ch, "retry", client_msg_id=cid)
    assert again.status_code == 200 and again.json()["id"] == second["id"], again.text
    texts = {m["id"]: m["text"] for m in list_messages(client, h(team, "member"), ch)}
    assert texts[first["id"]] == "yesterday's" and texts[second["id"]] == "today's"


def test_text_length_limits(server, team, general, client):
    ch = general["id"]
    for text in ("", "x" * 40_001, "é" * 40_001):
        body = assert_problem(post(client, h(team, "member"), ch, text), 422)
        assert "text" in [e.get("field") for e in body.get("errors") or []], body
    r = client.post(f"{API}/channels/{ch}/messages", json={}, headers=h(team, "member"))
    assert r.status_code in (400, 422), f"post without text: {r.status_code} {r.text}"
    assert_problem(r, r.status_code)
    r = client.post(f"{API}/channels/{ch}/messages", json={"text": None}, headers=h(team, "member"))
    assert r.status_code in (400, 422), f"post with text null: {r.status_code} {r.text}"

    for text in ("y" * 40_000, "é" * 40_000, "a"):
        m = post_ok(client, h(team, "member"), ch, text)
        assert m["text"] == text, f"text of {len(text)} chars came back changed"
    last = list_messages(client, h(team, "member"), ch)[-3:]
    assert [m["text"] for m in last] == ["y" * 40_000, "é" * 40_000, "a"]


def test_metadata_rules(server, team, general, client):
    ch = general["id"]
    for bad in ([1, 2], "a string", 5, True, [{"a": 1}]):
        body = assert_problem(post(client, h(team, "member"), ch, "with metadata", metadata=bad), 422)
        assert "metadata" in [e.get("field") for e in body.get("errors") or []], body
    big = {"blob": "m" * (17 * 1024)}
    body = assert_problem(post(client, h(team, "member"), ch, "big metadata", metadata=big), 422)
    assert "metadata" in [e.get("field") for e in body.get("errors") or []], body

    meta = {"source": "ci", "build": 1234, "ratio": 0.1, "neg": -3, "big": 12345678901234,
            "ok": True, "none": None, "unicode": "ünï ✓ 漢字", "nested": {"list": [1, "two", {"three": [None, False]}]},
            "pad": "p" * (15 * 1024)}
    assert len(json.dumps(meta, separators=(",", ":"), ensure_ascii=False).encode()) <= 16 * 1024
    m = post_ok(client, h(team, "member"), ch, "structured", metadata=meta)
    assert m.get("metadata") == meta, f"metadata came back changed: {json.dumps(m.get('metadata'))[:400]}"
    listed = {x["id"]: x for x in list_messages(client, h(team, "member"), ch)}
    assert listed[m["id"]].get("metadata") == meta, "listed metadata differs from what was posted"
    # an empty object is an object
    assert post_ok(client, h(team, "member"), ch, "empty meta", metadata={}).get("metadata") == {}


def test_mentions_are_parsed(server, team, general, client):
    ch = general["id"]
    member, bot = uid(team["member2"]), team["bot"]["id"]
    text = (f"hey <@{member}> and <@{bot}>, also <!channel>; not these: <@nobody> <@usr_x> @{uid(team['admin'])} "
            f"<#{ch}> <@{member}> again")
    m = post_ok(client, h(team, "member"), ch, text)
    mentions = m.get("mentions")
    assert isinstance(mentions, list), m
    assert member in mentions and bot in mentions, f"mentions {mentions} lack {member} / {bot}"
    assert any(x in ("channel", "!channel", "<!channel>") for x in mentions), f"<!channel> not in mentions {mentions}"
    assert uid(team["admin"]) not in mentions, f"a bare @id was taken as a mention: {mentions}"
    assert "nobody" not in json.dumps(mentions) and "usr_x" not in mentions, mentions
    assert mentions.count(member) == 1, f"a repeated mention is listed twice: {mentions}"
    plain = post_ok(client, h(team, "member"), ch, "no mentions here")
    assert plain.get("mentions") == [], plain
    listed = {x["id"]: x for x in list_messages(client, h(team, "member"), ch)}
    assert sorted(listed[m["id"]]["mentions"]) == sorted(mentions)


def test_threads(server, team, general, client):
    ch = general["id"]
    root = post_ok(client, h(team, "member"), ch, "root " + unique())
    other_root = post_ok(client, h(team, "member"), ch, "unrelated " + unique())
    r1 = post_ok(client, h(team, "member2"), ch, "reply one", thread_id=root["id"])
    r2 = post_ok(client, h(team, "admin"), ch, "reply two", thread_id=root["id"])
    post_ok(client, h(team, "member"), ch, "other reply", thread_id=other_root["id"])
    assert r1["thread_id"] == root["id"] and r2["thread_id"] == root["id"], (r1, r2)
    assert r2["seq"] > r1["seq"] > root["seq"]

    listed = {m["id"]: m for m in list_messages(client, h(team, "member"), ch)}
    assert listed[root["id"]]["reply_count"] == 2, f"root reply_count: {listed[root['id']].get('reply_count')}"
    assert listed[other_root["id"]]["reply_count"] == 1, listed[other_root["id"]]
    assert listed[r1["id"]]["thread_id"] == root["id"]

    thread = list_messages(client, h(team, "member"), ch, thread_id=root["id"])
    replies = [m["id"] for m in thread if m["id"] != root["id"]]
    assert replies == [r1["id"], r2["id"]], f"?thread_id= lists {[(m['id'], m['text']) for m in thread]}"
    assert all(m["id"] in (root["id"], r1["id"], r2["id"]) for m in thread), thread

    # a thread root must be a message of this channel
    elsewhere = create_channel_ok(client, h(team, "member"), team["ws"], channel_name("thr"))
    r = post(client, h(team, "member"), elsewhere["id"], "cross-channel reply", thread_id=root["id"])
    assert r.status_code in (404, 422), f"reply into another channel's thread: {r.status_code} {r.text}"
    r = post(client, h(team, "member"), ch, "reply to nothing", thread_id="msg_" + "N" * 20)
    assert r.status_code in (404, 422), f"reply to an unknown message: {r.status_code} {r.text}"
    assert_problem(post(client, h(team, "member"), ch, "bad thread id", thread_id="not-an-id"), 422)
    # an outsider cannot read a thread
    assert_problem(client.get(f"{API}/channels/{ch}/messages", params={"thread_id": root["id"]},
                              headers=h(team, "outsider")), 404)


def test_edit_is_for_the_sender_only(server, team, general, client):
    ch = general["id"]
    m = post_ok(client, h(team, "member"), ch, "original wording")
    for who in ("member2", "admin", "owner"):
        r = client.patch(f"{API}/messages/{m['id']}", json={"text": f"{who} rewrote this"}, headers=h(team, who))
        assert_problem(r, 403)
    assert_problem(client.patch(f"{API}/messages/{m['id']}", json={"text": ""}, headers=h(team, "member")), 422)
    r = client.patch(f"{API}/messages/{m['id']}", json={"text": f"better wording <@{uid(team['member2'])}>"},
                     headers=h(team, "member"))
    assert r.status_code == 200, f"sender edits: {r.status_code} {r.text}"
    edited = r.json()
    assert edited["id"] == m["id"] and edited["seq"] == m["seq"], edited
    assert edited["text"] == f"better wording <@{uid(team['member2'])}>", edited
    assert edited["edited_at"] and RFC3339_RE.match(edited["edited_at"]), edited
    assert uid(team["member2"]) in edited.get("mentions", []), f"mentions not re-parsed on edit: {edited}"
    listed = {x["id"]: x for x in list_messages(client, h(team, "owner"), ch)}
    assert listed[m["id"]]["text"] == edited["text"] and listed[m["id"]]["edited_at"], listed[m["id"]]
    assert_problem(client.patch(f"{API}/messages/msg_{'Z' * 20}", json={"text": "x"}, headers=h(team, "member")), 404)


def test_delete_rules_and_tombstone(server, team, general, client):
    ch = general["id"]
    own = post_ok(client, h(team, "member"), ch, "mine to delete " + unique())
    others = post_ok(client, h(team, "member2"), ch, "not yours " + unique())
    moderated = post_ok(client, h(team, "member2"), ch, "admin removes this " + unique())
    by_owner = post_ok(client, h(team, "member2"), ch, "owner removes this " + unique())
    after = post_ok(client, h(team, "member"), ch, "after the deletions")

    assert_problem(client.delete(f"{API}/messages/{others['id']}", headers=h(team, "member")), 403)
    assert_problem(client.delete(f"{API}/messages/{others['id']}", headers=h(team, "viewer")), 403)
    r = client.delete(f"{API}/messages/{own['id']}", headers=h(team, "member"))
    assert r.status_code in (200, 204), f"sender deletes: {r.status_code} {r.text}"
    r = client.delete(f"{API}/messages/{moderated['id']}", headers=h(team, "admin"))
    assert r.status_code in (200, 204), f"admin deletes a member's message: {r.status_code} {r.text}"
    r = client.delete(f"{API}/messages/{by_owner['id']}", headers=h(team, "owner"))
    assert r.status_code in (200, 204), f"owner deletes a member's message: {r.status_code} {r.text}"

    listed = {m["id"]: m for m in list_messages(client, h(team, "member"), ch)}
    for gone in (own, moderated, by_owner):
        tomb = listed.get(gone["id"])
        assert tomb is not None, f"deleted message {gone['id']} vanished instead of leaving a tombstone"
        assert tomb["seq"] == gone["seq"], tomb
        assert tomb["text"] is None, f"tombstone still has text: {tomb}"
        assert tomb.get("metadata") in (None, {}), tomb
        assert gone["text"] not in json.dumps(tomb)
    assert listed[others["id"]]["text"] == others["text"], "the refused deletion changed the message"
    assert listed[after["id"]]["seq"] == by_owner["seq"] + 1
    # a tombstone cannot be edited or deleted again
    r = client.patch(f"{API}/messages/{own['id']}", json={"text": "resurrected"}, headers=h(team, "member"))
    assert r.status_code in (404, 409), f"editing a deleted message: {r.status_code} {r.text}"
    r = client.delete(f"{API}/messages/{own['id']}", headers=h(team, "member"))
    assert r.status_code in (404, 409, 410), f"deleting twice: {r.status_code} {r.text}"


def test_read_marker_and_unread_count(server, team, client):
    ch = create_channel_ok(client, h(team, "owner"), team["ws"], channel_name("reads"))
    add_member_ok(client, h(team, "owner"), ch["id"], uid(team["member"]))
    posted = [post_ok(client, h(team, "owner"), ch["id"], f"news {i}") for i in range(5)]
    r = client.get(f"{API}/channels/{ch['id']}", headers=h(team, "member"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body.get("unread_count") == 5 and body.get("last_read_seq") in (None, 0), body

    r = client.post(f"{API}/channels/{ch['id']}/read", json={"seq": posted[1]["seq"]}, headers=h(team, "member"))
    assert r.status_code in (200, 204), f"POST read: {r.status_code} {r.text}"
    body = client.get(f"{API}/channels/{ch['id']}", headers=h(team, "member")).json()
    assert body.get("last_read_seq") == 2 and body.get("unread_count") == 3, body
    # the marker is per principal
    other = client.get(f"{API}/channels/{ch['id']}", headers=h(team, "owner")).json()
    assert other.get("last_read_seq") != 2 or other.get("unread_count") != 3, other

    post_ok(client, h(team, "owner"), ch["id"], "one more")
    body = client.get(f"{API}/channels/{ch['id']}", headers=h(team, "member")).json()
    assert body.get("last_read_seq") == 2 and body.get("unread_count") == 4, body

    assert_problem(client.post(f"{API}/channels/{ch['id']}/read", json={"seq": 999}, headers=h(team, "member")), 422)
    assert_problem(client.post(f"{API}/channels/{ch['id']}/read", json={"seq": -1}, headers=h(team, "member")), 422)
    r = client.post(f"{API}/channels/{ch['id']}/read", json={"seq": "3"}, headers=h(team, "member"))
    assert r.status_code in (400, 422), f"seq as a string: {r.status_code} {r.text}"

    r = client.post(f"{API}/channels/{ch['id']}/read", json={"seq": 6}, headers=h(team, "member"))
    assert r.status_code in (200, 204), r.text
    body = client.get(f"{API}/channels/{ch['id']}", headers=h(team, "member")).json()
    assert body.get("last_read_seq") == 6 and body.get("unread_count") == 0, body


def test_dms_are_one_channel_per_set(server, team, client):
    ws = team["ws"]
    m1, m2 = uid(team["member"]), uid(team["member2"])
    r = client.post(f"{API}/workspaces/{ws}/dms", json={"member_ids": [m1]}, headers=h(team, "admin"))
    assert r.status_code == 201, f"first DM: {r.status_code} {r.text}"
    dm = r.json()
    assert dm["id"].startswith("ch_"), dm
    r = client.post(f"{API}/workspaces/{ws}/dms", json={"member_ids": [m1]}, headers=h(team, "admin"))
    assert r.status_code == 200 and r.json()["id"] == dm["id"], f"same DM again: {r.status_code} {r.text}"
    # the same set, seen from the other side and with the caller listed too
    r = client.post(f"{API}/workspaces/{ws}/dms", json={"member_ids": [uid(team["admin"])]}, headers=h(team, "member"))
    assert r.status_code == 200 and r.json()["id"] == dm["id"], f"DM from the other side: {r.status_code} {r.text}"
    r = client.post(f"{API}/workspaces/{ws}/dms", json={"member_ids": [m1, uid(team["admin"]), m1]},
                    headers=h(team, "admin"))
    assert r.status_code == 200 and r.json()["id"] == dm["id"], f"DM naming the caller: {r.status_code} {r.text}"
    # a different set is a different channel
    r = client.post(f"{API}/workspaces/{ws}/dms", json={"member_ids": [m1, m2]}, headers=h(team, "admin"))
    assert r.status_code == 201 and r.json()["id"] != dm["id"], f"group DM: {r.status_code} {r.text}"

    post_ok(client, h(team, "admin"), dm["id"], "psst " + unique())
    post_ok(client, h(team, "member"), dm["id"], "psst back")
    for who in ("member2", "owner", "outsider"):
        hh = h(team, who)
        assert_problem(client.get(f"{API}/channels/{dm['id']}", headers=hh), 404)
        assert_problem(client.get(f"{API}/channels/{dm['id']}/messages", headers=hh), 404)
        assert_problem(post(client, hh, dm["id"], "butting in"), 404)
        assert_problem(client.post(f"{API}/channels/{dm['id']}/join", headers=hh), 404)
        if who != "outsider":
            assert dm["id"] not in {c["id"] for c in list_channels(client, hh, ws)}, f"{who} lists someone else's DM"
    # nobody may be added to a DM afterwards
    r = add_member(client, h(team, "admin"), dm["id"], m2)
    assert r.status_code in (403, 404, 409, 422), f"adding a member to a DM: {r.status_code} {r.text}"
    assert_problem(client.get(f"{API}/channels/{dm['id']}", headers=h(team, "member2")), 404)
    # invalid sets
    for bad in ([], [uid(team["admin"])], ["nobody"], [uid(team["outsider"])]):
        r = client.post(f"{API}/workspaces/{ws}/dms", json={"member_ids": bad}, headers=h(team, "admin"))
        assert r.status_code in (404, 422), f"DM with {bad}: {r.status_code} {r.text}"


def test_concurrent_posts_get_gapless_seqs(server, team, client):
    ch = create_channel_ok(client, h(team, "member"), team["ws"], channel_name("race"))
    join_ok(client, h(team, "member2"), ch["id"])
    join_ok(client, h(team, "admin"), ch["id"])
    barrier = threading.Barrier(20)
    people = ["member", "member2", "admin"]

    def send(i: int):
        with server.client() as c:
            barrier.wait(timeout=30)
            return post(c, h(team, people[i % 3]), ch["id"], f"racer {i}")

    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(send, range(20)))
    bad = [(r.status_code, r.text[:200]) for r in responses if r.status_code != 201]
    assert not bad, f"concurrent posts failed: {bad}"
    seqs = sorted(r.json()["seq"] for r in responses)
    assert seqs == list(range(1, 21)), f"seqs of 20 concurrent posts: {seqs}"
    listed = list_messages(client, h(team, "member"), ch["id"])
    assert [m["seq"] for m in listed] == list(range(1, 21)), [m["seq"] for m in listed]
    assert sorted(m["text"] for m in listed) == sorted(f"racer {i}" for i in range(20))
    assert len({m["id"] for m in listed}) == 20


def test_concurrent_retries_with_one_client_msg_id_make_one_message(server, team, general, client):
    """Retries of one send racing each other (a client that timed out and retried) still make one
    message: one 201, the others 200 with the original, never a duplicate or a 5xx."""
    ch = general["id"]
    cid = unique("race")
    text = "raced retry " + unique()
    barrier = threading.Barrier(10)

    def send(_):
        with server.client() as c:
            barrier.wait(timeout=30)
            return post(c, h(team, "member"), ch, text, client_msg_id=cid)

    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(send, range(10)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 9 + [201], \
        f"10 concurrent posts with one client_msg_id answered {statuses}: {[r.text[:150] for r in responses if r.status_code >= 300]}"
    assert len({r.json()["id"] for r in responses}) == 1, "concurrent retries returned different messages"
    listed = [m for m in list_messages(client, h(team, "member"), ch) if m["text"] == text]
    assert len(listed) == 1, f"{len(listed)} copies of one client_msg_id were stored"


def test_concurrent_dm_opens_make_one_channel(server, team, client):
    """Opening the same DM from both sides at once still yields the one DM channel for the set."""
    ws = team["ws"]
    a, b = "member2", "owner"
    barrier = threading.Barrier(10)

    def open_dm(i):
        me, other = (a, b) if i % 2 else (b, a)
        with server.client() as c:
            barrier.wait(timeout=30)
            return c.post(f"{API}/workspaces/{ws}/dms", json={"member_ids": [uid(team[other])]}, headers=h(team, me))

    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(open_dm, range(10)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 9 + [201], \
        f"10 concurrent opens of one DM answered {statuses}: {[r.text[:150] for r in responses if r.status_code >= 300]}"
    assert len({r.json()["id"] for r in responses}) == 1, "concurrent opens made different DM channels"


# ======================================================================================
# Deleted text is gone from storage
# ======================================================================================

def test_deleted_message_text_is_erased_from_storage(make_server):
    srv = make_server(MESSAGING_SERVER_ENV)
    boss = create_owner(srv, "eraser@example.com", "Eraser")
    doomed_text = "DOOMED" + unique("txt").replace("-", "")
    edited_text = "EDITED" + unique("txt").replace("-", "")
    meta_secret = "METASECRET" + unique("m").replace("-", "")
    kept_text = "KEPT" + unique("txt").replace("-", "")
    with srv.client() as c:
        hh = boss["headers"]
        ch = create_channel_ok(c, hh, boss["workspace_id"], channel_name("erase"))
        post_ok(c, hh, ch["id"], kept_text)
        doomed = post_ok(c, hh, ch["id"], doomed_text, metadata={"note": meta_secret}, client_msg_id=unique("c"))
        r = c.patch(f"{API}/messages/{doomed['id']}", json={"text": edited_text}, headers=hh)
        assert r.status_code == 200, f"edit: {r.status_code} {r.text}"
        for i in range(30):  # enough churn that the message's pages get rewritten
            post_ok(c, hh, ch["id"], f"filler {i} " + "f" * 200)
        r = c.delete(f"{API}/messages/{doomed['id']}", headers=hh)
        assert r.status_code in (200, 204), f"delete: {r.status_code} {r.text}"
        tomb = {m["id"]: m for m in list_messages(c, hh, ch["id"])}[doomed["id"]]
        assert tomb["text"] is None, tomb
    code = srv.stop()
    assert code == 0, f"server exited {code} on SIGTERM"

    blobs = data_dir_blobs(srv)
    if BACKEND == "postgres":
        blobs.update(postgres_dump(srv))
    assert blobs, "nothing in storage"
    found_kept = [where for where, data in blobs.items() if kept_text.encode() in data]
    assert found_kept, "the scan cannot find a message that was NOT deleted (the scan is blind)"
    hits = []
    for where, data in blobs.items():
        for label, needle in (("deleted text", doomed_text), ("deleted message's earlier edit", edited_text),
                              ("deleted message's metadata", meta_secret)):
            if needle.encode() in data:
                hits.append(f"{where}: {label}")
    assert not hits, f"a deleted message survives in storage: {hits} (files: {sorted(blobs)})"
