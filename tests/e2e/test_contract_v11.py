"""Contract v1.1 "Changes to v1" and issue 15's frictions that are not about identity:
newest-first message pages, public channels that agents and viewers may join (a viewer still
cannot post), `mentions_only` that is strictly a boolean, an edit that adds a mention waking a
mentions_only stream, and a socket's own echo arriving after its `ack`."""

from __future__ import annotations

from conftest import assert_problem
from helpers_messaging import (API, add_member_ok, agent_key, channel_name, create_channel_ok, is_event, open_stream,
                               post, post_ok)
# the module's fixtures
from helpers_messaging import server, streams, team  # noqa: F401


def h(team, who):
    return team[who]["headers"]


def page(client, headers, ch, **params) -> tuple[list[int], str | None]:
    r = client.get(f"{API}/channels/{ch}/messages", params=params, headers=headers)
    assert r.status_code == 200, f"GET messages {params}: {r.status_code} {r.text}"
    body = r.json()
    return [m["seq"] for m in body["data"]], body.get("next_cursor")


def test_order_desc_pages_from_the_newest_message_back(server, team):
    with server.client() as c:
        ch = create_channel_ok(c, h(team, "owner"), team["ws"], channel_name("desc"))["id"]
        for i in range(7):
            post_ok(c, h(team, "owner"), ch, f"message {i + 1}")

        seqs, cursor = page(c, h(team, "owner"), ch, order="desc", limit=3)
        assert (seqs, cursor) == ([7, 6, 5], "5")
        seqs, cursor = page(c, h(team, "owner"), ch, order="desc", limit=3, before_seq=cursor)
        assert (seqs, cursor) == ([4, 3, 2], "2")
        # the generic cursor continues the same way, and the end says so
        seqs, cursor = page(c, h(team, "owner"), ch, order="desc", limit=3, cursor=cursor)
        assert (seqs, cursor) == ([1], None)
        # a window bounded on both sides, newest end first
        assert page(c, h(team, "owner"), ch, order="desc", after_seq=2, before_seq=6) == ([5, 4, 3], None)

        # the default is unchanged: oldest first, and `before_seq` alone still shows its page ascending
        assert page(c, h(team, "owner"), ch, limit=3) == ([1, 2, 3], "3")
        assert page(c, h(team, "owner"), ch, order="asc", before_seq=7, limit=2) == ([5, 6], "5")

        for bad in ("DESC", "down", ""):
            r = c.get(f"{API}/channels/{ch}/messages", params={"order": bad}, headers=h(team, "owner"))
            assert [e["field"] for e in assert_problem(r, 422)["errors"]] == ["order"], (bad, r.text)


def test_agents_and_viewers_may_join_public_channels_and_a_viewer_still_cannot_post(server, team):
    with server.client() as c:
        public = create_channel_ok(c, h(team, "owner"), team["ws"], channel_name("open"))["id"]
        private = create_channel_ok(c, h(team, "owner"), team["ws"], channel_name("closed"), private=True)["id"]
        post_ok(c, h(team, "owner"), public, "before anyone joined")

        # a viewer joins, reads, and is still refused a post
        assert_problem(c.get(f"{API}/channels/{public}/messages", headers=h(team, "viewer")), 404)
        r = c.post(f"{API}/channels/{public}/join", headers=h(team, "viewer"))
        assert r.status_code == 200 and r.json()["id"] == public, r.text
        assert c.get(f"{API}/channels/{public}/messages", headers=h(team, "viewer")).status_code == 200
        assert_problem(post(c, h(team, "viewer"), public, "a viewer speaking"), 403)
        # joining again changes nothing
        assert c.post(f"{API}/channels/{public}/join", headers=h(team, "viewer")).status_code == 200

        # an agent joins with channels:write, and then posts with messages:write
        bot = team["bot"]["id"]
        reader = {"Authorization": f"Bearer {agent_key(c, team, bot, ['channels:read', 'messages:read'])}"}
        assert_problem(c.post(f"{API}/channels/{public}/join", headers=reader), 403)
        writer = {"Authorization": f"Bearer {agent_key(c, team, bot, ['channels:write', 'messages:write', 'messages:read'])}"}
        r = c.post(f"{API}/channels/{public}/join", headers=writer)
        assert r.status_code == 200, r.text
        assert post_ok(c, writer, public, "an agent that joined")["sender"] == {"id": bot, "kind": "agent"}

        # a private channel or DM is joined only by being added
        for who in (writer, h(team, "viewer"), h(team, "member")):
            assert_problem(c.post(f"{API}/channels/{private}/join", headers=who), 404)


def test_mentions_only_is_strictly_a_boolean(server, team):
    """`1` or `True` used to mean false in silence: an agent asking for quiet got everything."""
    bot = team["bot"]["id"]
    with server.client() as c:
        key = {"Authorization": f"Bearer {agent_key(c, team, bot, ['messages:read', 'channels:read'])}"}
        for bad in ("1", "True", "yes", ""):
            r = c.get(f"{API}/events", params={"mentions_only": bad, "wait": 0}, headers=key)
            assert [e["field"] for e in assert_problem(r, 422)["errors"]] == ["mentions_only"], (bad, r.text)
        for good in ("true", "false"):
            r = c.get(f"{API}/events", params={"mentions_only": good, "wait": 0}, headers=key)
            assert r.status_code == 200, (good, r.text)


def test_an_edit_that_adds_a_mention_wakes_a_mentions_only_stream_once(server, team, streams):
    bot = team["bot"]["id"]
    with server.client() as c:
        ch = create_channel_ok(c, h(team, "owner"), team["ws"], channel_name("edit-mention"))["id"]
        add_member_ok(c, h(team, "owner"), ch, bot)
        key = agent_key(c, team, bot, ["messages:read", "channels:read"])
        quiet, _, _ = open_stream(server, key, mentions_only=True)
        streams(quiet)

        plain = post_ok(c, h(team, "owner"), ch, "no one in particular")
        r = c.patch(f"{API}/messages/{plain['id']}", json={"text": f"now for <@{bot}>"}, headers=h(team, "owner"))
        assert r.status_code == 200, r.text
        woken = quiet.wait_for(is_event("message.updated"), what="the edit that mentions the agent")
        assert woken["data"]["id"] == plain["id"] and woken.get("mentioned") is True, woken

        # an edit that keeps the mention (a typo fixed) does not wake it again: the next frame it
        # gets is the sentinel posted after that edit
        r = c.patch(f"{API}/messages/{plain['id']}", json={"text": f"now for <@{bot}>!"}, headers=h(team, "owner"))
        assert r.status_code == 200, r.text
        sentinel = post_ok(c, h(team, "owner"), ch, f"sentinel <@{bot}>")
        frames = quiet.collect_until(lambda f: f.get("type") == "event", what="the next event")
        assert frames[-1]["event"] == "message.created" and frames[-1]["data"]["id"] == sentinel["id"], frames[-1]


def test_a_sockets_own_echo_arrives_after_its_ack(server, team, streams):
    """The contract orders an agent's own `message.created` after the `ack` of the send that made
    it, so a client can match its echo to a send it already knows about."""
    bot = team["bot"]["id"]
    with server.client() as c:
        ch = create_channel_ok(c, h(team, "owner"), team["ws"], channel_name("echo"))["id"]
        add_member_ok(c, h(team, "owner"), ch, bot)
        key = agent_key(c, team, bot, ["messages:read", "messages:write", "channels:read"])
        # 40 agent messages in a row: past the default loop budget of 20 (test_loop_budget.py).
        r = c.patch(f"{API}/workspaces/{team['ws']}", json={"loop_budget": 100}, headers=h(team, "owner"))
        assert r.status_code == 200, r.text
    stream, _, _ = open_stream(server, key)
    streams(stream)
    for i in range(40):
        stream.send({"type": "send", "channel_id": ch, "text": f"echo {i}", "client_msg_id": f"echo-{i}"})
        frames = stream.collect_until(lambda f: f.get("type") == "ack", what=f"the ack of send {i}")
        own = [f for f in frames if f.get("type") == "event" and f["event"] == "message.created"
               and f["data"].get("text") == f"echo {i}"]
        assert not own, f"send {i}: its echo came before its ack"
        echo = stream.wait_for(is_event("message.created", text=f"echo {i}"), what=f"the echo of send {i}")
        assert echo["data"]["sender"] == {"id": bot, "kind": "agent"}
