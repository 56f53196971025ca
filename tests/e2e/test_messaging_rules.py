"""Messaging rules a review found broken, end to end:

- `"kind": "notice"` never wakes anyone: its `message.created` is `mentioned: false` for every
  receiver and `mentions_only` streams (WebSocket and long-poll) skip it, even in a DM; a sender is
  never `mentioned` by its own message (`<!channel>`, `<@self>`).
- `mentions_only` keeps every event in the caller's DMs (edits, deletions, a new DM), not only
  new messages.
- A DM cannot be left (409), so `POST /workspaces/{ws}/dms` always answers with a DM the caller
  can use; whoever opened it may not delete or rename it (403): it holds the others' messages.
- Joining or being added to a channel starts the read marker at the channel's latest seq: the
  history from before is not unread.
- Threads: no reply to a deleted root; deleting a reply lowers the root's `reply_count`.
- /metrics counts messages sent (REST and WebSocket, not idempotent repeats) and its open-sockets
  gauge goes down when a socket closes.
- The message list pages with the contract's generic `?cursor=<next_cursor>` in the query's own
  direction (forwards by default, backwards with `before_seq`), so a generic paginator ends.
"""

from __future__ import annotations

from conftest import assert_problem
from helpers_messaging import (API, Stream, add_member_ok, agent_key, channel_name, create_channel_ok, is_event, join_ok,
                               list_messages, message_events, open_stream, post, post_ok, summarize, uid, unique)
# the module's fixtures
from helpers_messaging import general, server, server_survives, streams, team  # noqa: F401


def connect(server, streams, tok: str, **auth) -> tuple[Stream, dict]:
    stream, ready, _ = open_stream(server, tok, **auth)
    return streams(stream), ready


def h(team, who):
    return team[who]["headers"]


def open_dm(client, team, who: str, *others: str) -> dict:
    r = client.post(f"{API}/workspaces/{team['ws']}/dms", json={"member_ids": list(others)}, headers=h(team, who))
    assert r.status_code in (200, 201), f"POST /workspaces/{team['ws']}/dms by {who}: {r.status_code} {r.text}"
    return r.json()


def poll(client, headers, cursor: str, **params) -> list[dict]:
    r = client.get(f"{API}/events", params={"after": cursor, "wait": 0, **params}, headers=headers)
    assert r.status_code == 200, f"GET /events {params}: {r.status_code} {r.text[:300]}"
    return r.json()["events"]


def channel_state(client, headers, ch: str) -> dict:
    r = client.get(f"{API}/channels/{ch}", headers=headers)
    assert r.status_code == 200, f"GET /channels/{ch}: {r.status_code} {r.text}"
    return r.json()


def message(client, headers, ch: str, msg_id: str) -> dict:
    found = [m for m in list_messages(client, headers, ch) if m["id"] == msg_id]
    assert found, f"message {msg_id} not listed in {ch}"
    return found[0]


# ======================================================================================
# Notices and `mentioned`
# ======================================================================================

def test_notice_never_wakes_an_agent(server, team, general, client, streams):
    bot = team["bot"]["id"]
    key = agent_key(client, team, bot, ["messages:read", "channels:read"])
    full, ready = connect(server, streams, key)
    quiet, _ = connect(server, streams, key, mentions_only=True)
    dm = open_dm(client, team, "owner", bot)

    notice = post_ok(client, h(team, "owner"), general["id"], f"<@{bot}> <!channel> build finished " + unique(),
                     kind="notice")
    assert notice["kind"] == "notice" and bot in notice["mentions"], notice
    dm_notice = post_ok(client, h(team, "owner"), dm["id"], f"<@{bot}> deploy done " + unique(), kind="notice")
    sentinel = post_ok(client, h(team, "owner"), general["id"], f"<@{bot}> a real question " + unique())

    frames = full.collect_until(is_event("message.created", id=sentinel["id"]), what="the sentinel on the full stream")
    mentioned = {f["data"]["id"]: f.get("mentioned") for f in message_events(frames)}
    assert mentioned.get(notice["id"]) is False, f"a notice mentioning the agent is mentioned={mentioned.get(notice['id'])!r}"
    assert mentioned.get(dm_notice["id"]) is False, f"a DM notice is mentioned={mentioned.get(dm_notice['id'])!r}"
    assert mentioned.get(sentinel["id"]) is True, mentioned

    frames = quiet.collect_until(is_event("message.created", id=sentinel["id"]), what="the sentinel on mentions_only")
    woke = {f["data"]["id"] for f in message_events(frames)} & {notice["id"], dm_notice["id"]}
    assert not woke, f"mentions_only socket delivered notices {woke}: {summarize(frames)}"

    got = [e["data"].get("id") for e in poll(client, {"Authorization": f"Bearer {key}"}, ready["cursor"],
                                                  mentions_only="true")]
    assert sentinel["id"] in got, f"mentions_only long-poll lost the real mention: {got}"
    assert notice["id"] not in got and dm_notice["id"] not in got, f"mentions_only long-poll delivered a notice: {got}"


def test_sender_is_never_mentioned_by_its_own_message(server, team, general, client, streams):
    me = uid(team["member"])
    mine, ready = connect(server, streams, team["member"]["access_token"])
    theirs, _ = connect(server, streams, team["member2"]["access_token"])
    own = post_ok(client, h(team, "member"), general["id"], f"<!channel> and <@{me}>: standup " + unique())

    ev = mine.wait_for(is_event("message.created", id=own["id"]), what="own message")
    assert ev["mentioned"] is False, f"the sender is mentioned by its own message: {ev}"
    ev = theirs.wait_for(is_event("message.created", id=own["id"]), what="the message at member2")
    assert ev["mentioned"] is True, f"<!channel> does not mention another member: {ev}"

    got = [e["data"].get("id") for e in poll(client, h(team, "member"), ready["cursor"], mentions_only="true")]
    assert own["id"] not in got, f"mentions_only long-poll woke the sender with its own message: {got}"


# ======================================================================================
# mentions_only keeps everything in the caller's DMs
# ======================================================================================

def test_mentions_only_keeps_edits_deletions_and_new_dms(server, team, general, client, streams):
    me = uid(team["member2"])
    dm = open_dm(client, team, "admin", me)
    direct = post_ok(client, h(team, "admin"), dm["id"], "first draft " + unique())
    quiet, ready = connect(server, streams, team["member2"]["access_token"], mentions_only=True)

    r = client.patch(f"{API}/messages/{direct['id']}", json={"text": "second draft " + unique()}, headers=h(team, "admin"))
    assert r.status_code == 200, f"PATCH message: {r.status_code} {r.text}"
    r = client.delete(f"{API}/messages/{direct['id']}", headers=h(team, "admin"))
    assert r.status_code == 204, f"DELETE message: {r.status_code} {r.text}"
    group = open_dm(client, team, "member", me, uid(team["admin"]))
    # outside the DMs, what does not mention the caller stays filtered
    elsewhere = post_ok(client, h(team, "owner"), general["id"], "chatter " + unique())
    r = client.patch(f"{API}/messages/{elsewhere['id']}", json={"text": "chatter, edited " + unique()},
                     headers=h(team, "owner"))
    assert r.status_code == 200, r.text
    sentinel = post_ok(client, h(team, "owner"), general["id"], f"<@{me}> sentinel " + unique())

    want = [("message.updated", direct["id"]), ("message.deleted", direct["id"]), ("channel.created", group["id"]),
            ("message.created", sentinel["id"])]
    frames = quiet.collect_until(is_event("message.created", id=sentinel["id"]), what="the sentinel mention")
    got = [(f["event"], f["data"].get("id")) for f in frames if f.get("type") == "event"]
    assert got == want, f"mentions_only socket delivered {got}, want {want}"

    got = [(e["event"], e["data"].get("id")) for e in poll(client, h(team, "member2"), ready["cursor"], mentions_only="true")]
    assert got == want, f"mentions_only long-poll delivered {got}, want {want}"


# ======================================================================================
# DMs cannot be left
# ======================================================================================

def test_a_dm_cannot_be_left(server, team, client):
    me = uid(team["member"])
    dm = open_dm(client, team, "member", uid(team["member2"]))
    body = assert_problem(client.post(f"{API}/channels/{dm['id']}/leave", headers=h(team, "member")), 409)
    assert body.get("detail") == "A direct message cannot be left.", body
    assert_problem(client.delete(f"{API}/channels/{dm['id']}/members/{me}", headers=h(team, "member")), 409)

    # still the one DM for that set, and still usable by both
    again = open_dm(client, team, "member2", me)
    assert again["id"] == dm["id"], (again, dm)
    assert channel_state(client, h(team, "member"), dm["id"])["is_member"] is True
    for who in ("member", "member2"):
        post_ok(client, h(team, who), dm["id"], f"still here ({who}) " + unique())
    assert len(list_messages(client, h(team, "member"), dm["id"])) >= 2

    # leaving an ordinary channel still works
    ch = create_channel_ok(client, h(team, "owner"), team["ws"], channel_name("leavable"))
    join_ok(client, h(team, "member"), ch["id"])
    r = client.post(f"{API}/channels/{ch['id']}/leave", headers=h(team, "member"))
    assert r.status_code == 204, f"leaving a channel: {r.status_code} {r.text}"


def test_a_dm_is_usable_again_by_someone_removed_and_invited_back(server, team, client):
    """Removal from the workspace drops a person's DM memberships; while they are out nobody opens
    a DM with them (422), and once back the DM (the one for that set) is theirs again."""
    from helpers_identity import create_invite_ok, signup_via_invite

    invite = create_invite_ok(client, h(team, "owner"), team["ws"], "member")
    person = signup_via_invite(client, invite["token"], "returning")
    member = uid(team["member"])
    r = client.post(f"{API}/workspaces/{team['ws']}/dms", json={"member_ids": [member]}, headers=person["headers"])
    assert r.status_code == 201, r.text
    dm = r.json()["id"]
    post_ok(client, person["headers"], dm, "before leaving " + unique())

    r = client.delete(f"{API}/workspaces/{team['ws']}/members/{person['user_id']}", headers=h(team, "owner"))
    assert r.status_code == 204, r.text
    body = assert_problem(client.post(f"{API}/workspaces/{team['ws']}/dms", json={"member_ids": [person["user_id"]]},
                                      headers=h(team, "member")), 422)
    assert "member_ids" in str(body.get("errors")), body

    invite = create_invite_ok(client, h(team, "owner"), team["ws"], "member")
    r = client.post(f"{API}/invites/{invite['token']}/accept", headers=person["headers"])
    assert r.status_code == 200, r.text
    again = open_dm(client, team, "member", person["user_id"])
    assert again["id"] == dm
    assert channel_state(client, person["headers"], dm)["is_member"] is True
    post_ok(client, person["headers"], dm, "back again " + unique())
    texts = [m["text"] for m in list_messages(client, person["headers"], dm)]
    assert len(texts) == 2 and texts[1].startswith("back again"), texts


def test_opening_a_dm_does_not_make_it_yours_to_delete(server, team, client):
    dm = open_dm(client, team, "member", uid(team["member2"]))
    theirs = post_ok(client, h(team, "member2"), dm["id"], "my words, not yours to erase " + unique())
    assert_problem(client.delete(f"{API}/channels/{dm['id']}", headers=h(team, "member")), 403)
    assert_problem(client.patch(f"{API}/channels/{dm['id']}", json={"topic": "mine now"}, headers=h(team, "member")), 403)
    listed = {m["id"]: m for m in list_messages(client, h(team, "member2"), dm["id"])}
    assert theirs["id"] in listed and listed[theirs["id"]]["text"] == theirs["text"], "the DM or its message is gone"


# ======================================================================================
# Read markers of new members
# ======================================================================================

def test_joining_or_being_added_starts_the_read_marker_at_the_latest_seq(server, team, client):
    pub = create_channel_ok(client, h(team, "owner"), team["ws"], channel_name("history"))
    priv = create_channel_ok(client, h(team, "owner"), team["ws"], channel_name("history"), private=True)
    for ch in (pub, priv):
        for i in range(3):
            post_ok(client, h(team, "owner"), ch["id"], f"before anyone came {i}")

    join_ok(client, h(team, "member"), pub["id"])
    add_member_ok(client, h(team, "owner"), pub["id"], uid(team["member2"]))
    add_member_ok(client, h(team, "owner"), priv["id"], uid(team["member"]))
    for who, ch in (("member", pub), ("member2", pub), ("member", priv)):
        state = channel_state(client, h(team, who), ch["id"])
        assert state["last_seq"] == 3 and state["last_read_seq"] == 3 and state["unread_count"] == 0, \
            f"{who} new in {ch['name']}: {state}"

    post_ok(client, h(team, "owner"), pub["id"], "news after joining")
    post_ok(client, h(team, "member2"), pub["id"], "my own news")
    state = channel_state(client, h(team, "member"), pub["id"])
    assert state["last_read_seq"] == 3 and state["unread_count"] == 2, state
    state = channel_state(client, h(team, "member2"), pub["id"])
    assert state["last_read_seq"] == 3 and state["unread_count"] == 1, state
    # the history is still there to read
    assert len(list_messages(client, h(team, "member"), pub["id"])) == 5


# ======================================================================================
# Threads
# ======================================================================================

def test_no_reply_to_a_deleted_root(server, team, general, client):
    ch = general["id"]
    root = post_ok(client, h(team, "member"), ch, "root to delete " + unique())
    post_ok(client, h(team, "member2"), ch, "early reply", thread_id=root["id"])
    r = client.delete(f"{API}/messages/{root['id']}", headers=h(team, "member"))
    assert r.status_code == 204, r.text

    missing = post(client, h(team, "member2"), ch, "reply to nothing", thread_id="msg_" + "N" * 20)
    assert missing.status_code in (404, 422), missing.text
    body = assert_problem(post(client, h(team, "member2"), ch, "late reply", thread_id=root["id"]), missing.status_code)
    assert "thread_id" in str(body.get("errors")), body
    thread = list_messages(client, h(team, "member"), ch, thread_id=root["id"])
    assert "late reply" not in [m["text"] for m in thread], thread


def test_a_reply_racing_its_roots_deletion_never_follows_it(server, team, general, streams):
    """Replies posted while their root is being deleted either commit first or are refused: none
    is committed after the deletion (on PostgreSQL the reply counts itself on the root's row,
    which waits for the deletion's lock and then sees it)."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    ch = general["id"]
    with server.client() as c:
        root = post_ok(c, h(team, "member"), ch, "contested root " + unique())
    watcher, _, _ = open_stream(server, team["member"]["access_token"])
    streams(watcher)
    start = threading.Barrier(9)

    def reply(i: int) -> list[str]:
        created = []
        with server.client() as c:
            start.wait()
            for n in range(6):
                r = post(c, h(team, "member2"), ch, f"racing reply {i}.{n}", thread_id=root["id"])
                assert r.status_code in (201, 422), r.text
                if r.status_code == 201:
                    created.append(r.json()["id"])
        return created

    def delete() -> None:
        with server.client() as c:
            start.wait()
            r = c.delete(f"{API}/messages/{root['id']}", headers=h(team, "member"))
            assert r.status_code == 204, r.text

    with ThreadPoolExecutor(9) as pool:
        replies = [pool.submit(reply, i) for i in range(8)]
        pool.submit(delete).result()
        created = [m for f in replies for m in f.result()]

    frames = watcher.collect_until(is_event("message.deleted", id=root["id"]), timeout=20, what="the root's deletion")
    seen = {f["data"]["id"] for f in frames if is_event("message.created")(f)}
    late = [m for m in created if m not in seen]
    assert not late, f"{len(late)} replies were committed after their root was deleted"
    with server.client() as c:
        assert message(c, h(team, "member"), ch, root["id"])["reply_count"] == len(created)


def test_deleting_a_reply_lowers_reply_count(server, team, general, client):
    ch = general["id"]
    root = post_ok(client, h(team, "member"), ch, "thread root " + unique())
    replies = [post_ok(client, h(team, who), ch, f"reply by {who}", thread_id=root["id"])
               for who in ("member2", "admin", "member2")]
    assert message(client, h(team, "member"), ch, root["id"])["reply_count"] == 3

    r = client.delete(f"{API}/messages/{replies[0]['id']}", headers=h(team, "member2"))
    assert r.status_code == 204, r.text
    assert message(client, h(team, "member"), ch, root["id"])["reply_count"] == 2
    # deleting it again changes nothing
    assert_problem(client.delete(f"{API}/messages/{replies[0]['id']}", headers=h(team, "member2")), 404)
    assert message(client, h(team, "member"), ch, root["id"])["reply_count"] == 2
    # a moderator's deletion counts the same
    r = client.delete(f"{API}/messages/{replies[2]['id']}", headers=h(team, "owner"))
    assert r.status_code == 204, r.text
    assert message(client, h(team, "member"), ch, root["id"])["reply_count"] == 1
    # deleting a top-level message touches no other count
    other = post_ok(client, h(team, "member"), ch, "unrelated " + unique())
    r = client.delete(f"{API}/messages/{other['id']}", headers=h(team, "member"))
    assert r.status_code == 204, r.text
    assert message(client, h(team, "member"), ch, root["id"])["reply_count"] == 1


# ======================================================================================
# Paging the message list with ?cursor=
# ======================================================================================

def walk(client, headers, ch: str, **query) -> list[int]:
    """A generic paginator: repeat the query with cursor=next_cursor until it is null."""
    seqs: list[int] = []
    cursor = None
    for _ in range(20):
        params = dict(query, limit=2, **({"cursor": cursor} if cursor else {}))
        r = client.get(f"{API}/channels/{ch}/messages", params=params, headers=headers)
        assert r.status_code == 200, f"GET messages {params}: {r.status_code} {r.text[:300]}"
        body = r.json()
        page = [m["seq"] for m in body["data"]]
        assert page == sorted(page), f"a page out of order: {page}"
        seqs.extend(page)
        cursor = body["next_cursor"]
        if cursor is None:
            return seqs
    raise AssertionError(f"the paginator did not end: {seqs[:20]}")


def test_message_list_pages_with_cursor(server, team, client):
    ch = create_channel_ok(client, h(team, "owner"), team["ws"], channel_name("pages"))["id"]
    for i in range(7):
        post_ok(client, h(team, "owner"), ch, f"page me {i}")
    assert walk(client, h(team, "owner"), ch) == [1, 2, 3, 4, 5, 6, 7]
    assert walk(client, h(team, "owner"), ch, after_seq=2) == [3, 4, 5, 6, 7]
    backwards = walk(client, h(team, "owner"), ch, before_seq=7)
    assert sorted(backwards) == [1, 2, 3, 4, 5, 6] and len(set(backwards)) == 6, backwards
    assert walk(client, h(team, "owner"), ch, after_seq=1, before_seq=6) == [2, 3, 4, 5]
    r = client.get(f"{API}/channels/{ch}/messages", params={"cursor": "not-a-cursor"}, headers=h(team, "owner"))
    assert_problem(r, 422)


# ======================================================================================
# Metrics: messages sent, open sockets
# ======================================================================================

def metric(client, name: str) -> float:
    r = client.get("/metrics")
    assert r.status_code == 200, f"/metrics from loopback: {r.status_code} {r.text[:200]}"
    for line in r.text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_messages_sent_and_open_sockets(server, team, general, client):
    import time
    sent_before = metric(client, "conclave_messages_sent_total")
    post_ok(client, h(team, "member"), general["id"], "counted " + unique())
    again = "retry-" + unique()
    post_ok(client, h(team, "member"), general["id"], "counted once", client_msg_id=again)
    r = post(client, h(team, "member"), general["id"], "counted once", client_msg_id=again)
    assert r.status_code == 200, f"idempotent repeat: {r.status_code} {r.text[:200]}"

    sockets_before = metric(client, "conclave_open_sockets")
    stream, _, _ = open_stream(server, team["member"]["access_token"])
    try:
        assert metric(client, "conclave_open_sockets") == sockets_before + 1
        stream.send({"type": "send", "channel_id": general["id"], "text": "over the socket", "client_msg_id": unique()})
        ack = stream.collect_until(lambda f: f.get("type") in ("ack", "error"), 10, "ack")[-1]
        assert ack["type"] == "ack", ack
    finally:
        stream.conn.close()
    assert metric(client, "conclave_messages_sent_total") == sent_before + 3
    deadline = time.monotonic() + 10
    while metric(client, "conclave_open_sockets") != sockets_before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert metric(client, "conclave_open_sockets") == sockets_before, "the gauge did not go down when the socket closed"
