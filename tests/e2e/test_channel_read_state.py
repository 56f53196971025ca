"""The caller's read state on channels: `GET /api/v1/workspaces/{ws}/channels` gives every item
what `GET /api/v1/channels/{ch}` gives (`is_member`, `last_read_seq`, `unread_count`) plus
`mention_count`, the unread messages that mention the caller as a stream's `mentioned` does
(`<@id>` of the caller or `<!channel>`; never a notice).

What moves the counts: messages arriving, the read marker moving. What never counts: the
caller's own messages, deleted ones, a mention of someone else, anything in a channel the caller
does not belong to. Another workspace's channels never appear. Agents' keys see the same fields.
The counts look at a channel's newest 1,000 messages only (bounded work for a member far behind).
Everything goes over real HTTP with httpx.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from conftest import assert_problem
from helpers_messaging import (API, add_member_ok, agent_key, channel_name, create_channel_ok, join_ok,
                               list_channels, post_ok, uid, unique)
# the module's fixtures
from helpers_messaging import server, server_survives, team  # noqa: F401
from helpers_identity import bearer

STATE = ("is_member", "last_read_seq", "unread_count", "mention_count")
WINDOW = 1000  # the newest messages of a channel the counts look at


def h(team, who):
    return team[who]["headers"]


def listed(client, headers, ws: str, ch: str) -> dict:
    items = [item for item in list_channels(client, headers, ws) if item["id"] == ch]
    assert len(items) == 1, f"channel {ch} listed {len(items)} times"
    return items[0]


def state(client, headers, ws: str, ch: str) -> dict:
    """The caller's read state of `ch`, from the list and from the channel itself (which must agree)."""
    item = listed(client, headers, ws, ch)
    r = client.get(f"{API}/channels/{ch}", headers=headers)
    assert r.status_code == 200, r.text
    detail = r.json()
    from_list = {k: item.get(k, "<absent>") for k in STATE}
    from_detail = {k: detail.get(k, "<absent>") for k in STATE}
    assert from_list == from_detail, f"list item {from_list} differs from GET /channels/{ch} {from_detail}"
    return from_detail


def mark_read(client, headers, ch: str, seq: int) -> None:
    r = client.post(f"{API}/channels/{ch}/read", json={"seq": seq}, headers=headers)
    assert r.status_code == 200, r.text


def test_counts_move_with_messages_and_the_read_marker(server, team, client):
    ws, owner, member = team["ws"], h(team, "owner"), h(team, "member")
    ch = create_channel_ok(client, owner, ws, channel_name("reads"))["id"]
    add_member_ok(client, owner, ch, uid(team["member"]))
    add_member_ok(client, owner, ch, uid(team["member2"]))
    assert state(client, member, ws, ch) == {"is_member": True, "last_read_seq": 0, "unread_count": 0, "mention_count": 0}

    me, other = uid(team["member"]), uid(team["member2"])
    post_ok(client, owner, ch, "plain news " + unique())                                       # seq 1: unread
    post_ok(client, owner, ch, f"<@{me}> please look " + unique())                             # seq 2: mention
    post_ok(client, owner, ch, f"<@{other}> not you " + unique())                              # seq 3: someone else
    post_ok(client, owner, ch, "<!channel> everyone " + unique())                              # seq 4: mention
    post_ok(client, owner, ch, f"<@{me}> build done " + unique(), kind="notice")               # seq 5: a notice
    post_ok(client, member, ch, f"<!channel> <@{me}> my own " + unique())                      # seq 6: own
    gone = post_ok(client, owner, ch, f"<@{me}> soon deleted " + unique())                     # seq 7: deleted
    assert gone["seq"] == 7, gone
    assert state(client, member, ws, ch) == {"is_member": True, "last_read_seq": 0, "unread_count": 6, "mention_count": 3}

    r = client.delete(f"{API}/messages/{gone['id']}", headers=owner)
    assert r.status_code == 204, r.text
    assert state(client, member, ws, ch) == {"is_member": True, "last_read_seq": 0, "unread_count": 5, "mention_count": 2}

    # member2 is mentioned once by name and once by <!channel>; the sender never by its own text.
    assert state(client, h(team, "member2"), ws, ch)["mention_count"] == 3
    assert state(client, owner, ws, ch)["unread_count"] == 1  # member's seq 6 only

    mark_read(client, member, ch, 2)
    assert state(client, member, ws, ch) == {"is_member": True, "last_read_seq": 2, "unread_count": 3, "mention_count": 1}
    post_ok(client, owner, ch, f"news for <@{me}> " + unique())                                # seq 8: mention
    assert state(client, member, ws, ch) == {"is_member": True, "last_read_seq": 2, "unread_count": 4, "mention_count": 2}
    mark_read(client, member, ch, 8)
    assert state(client, member, ws, ch) == {"is_member": True, "last_read_seq": 8, "unread_count": 0, "mention_count": 0}


def test_counts_look_at_the_newest_1000_messages_only(server, team, client):
    """A member far behind costs what 1,000 unread do: `unread_count` stops at 1,000 ("at least"),
    and a mention older than the newest 1,000 messages is no longer counted."""
    ws, owner, member = team["ws"], h(team, "owner"), h(team, "member")
    ch = create_channel_ok(client, owner, ws, channel_name("busy"))["id"]
    add_member_ok(client, owner, ch, uid(team["member"]))
    me = uid(team["member"])
    post_ok(client, owner, ch, f"<@{me}> an old mention " + unique())                          # seq 1

    def send(i: int) -> int:
        with server.client() as c:
            return post_ok(c, owner, ch, f"message {i} " + unique())["seq"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        seqs = list(pool.map(send, range(WINDOW)))
    assert sorted(seqs) == list(range(2, WINDOW + 2))
    # seq 1 (the mention) is now the 1,001st newest: outside the window.
    assert state(client, member, ws, ch) == {"is_member": True, "last_read_seq": 0, "unread_count": WINDOW,
                                             "mention_count": 0}
    mark_read(client, member, ch, WINDOW - 9)
    assert state(client, member, ws, ch) == {"is_member": True, "last_read_seq": WINDOW - 9, "unread_count": 10,
                                             "mention_count": 0}


def test_a_non_member_sees_a_public_channel_with_no_read_state(server, team, client):
    ws, owner = team["ws"], h(team, "owner")
    ch = create_channel_ok(client, owner, ws, channel_name("lobby"))["id"]
    admin = uid(team["admin"])
    post_ok(client, owner, ch, f"<@{admin}> <!channel> you are not here yet " + unique())
    empty = {"is_member": False, "last_read_seq": None, "unread_count": 0, "mention_count": 0}
    assert state(client, h(team, "admin"), ws, ch) == empty
    # Joining starts the marker at the channel's latest seq: earlier history is not unread.
    join_ok(client, h(team, "admin"), ch)
    assert state(client, h(team, "admin"), ws, ch) == {"is_member": True, "last_read_seq": 1, "unread_count": 0,
                                                       "mention_count": 0}
    post_ok(client, owner, ch, f"<@{admin}> now you are " + unique())
    assert state(client, h(team, "admin"), ws, ch)["mention_count"] == 1


def test_an_agent_key_gets_the_same_fields(server, team, client):
    ws, owner, bot = team["ws"], h(team, "owner"), team["bot"]["id"]
    ch = create_channel_ok(client, owner, ws, channel_name("bots"))["id"]
    add_member_ok(client, owner, ch, bot)
    post_ok(client, owner, ch, f"<@{bot}> run the report " + unique())
    post_ok(client, owner, ch, "just chatter " + unique())
    key = bearer(agent_key(client, team, bot, ["channels:read"]))
    assert state(client, key, ws, ch) == {"is_member": True, "last_read_seq": 0, "unread_count": 2, "mention_count": 1}


def test_channels_of_another_workspace_never_appear(server, team, client):
    ws, other_ws, owner = team["ws"], team["other_ws"], h(team, "owner")
    here = create_channel_ok(client, owner, ws, channel_name("here"))["id"]
    there = create_channel_ok(client, owner, other_ws, channel_name("there"))["id"]
    hidden = create_channel_ok(client, owner, ws, channel_name("secret"), private=True)["id"]
    post_ok(client, owner, there, f"<@{uid(team['member'])}> elsewhere " + unique())
    # The owner belongs to both workspaces: each list holds only its own workspace's channels.
    mine = list_channels(client, owner, ws)
    assert {c["workspace_id"] for c in mine} == {ws} and here in {c["id"] for c in mine}
    assert there not in {c["id"] for c in mine}
    assert there in {c["id"] for c in list_channels(client, owner, other_ws)}
    # A member of one workspace: none of the other's, and no private channel it is not in.
    seen = {c["id"] for c in list_channels(client, h(team, "member"), ws)}
    assert here in seen and there not in seen and hidden not in seen
    assert_problem(client.get(f"{API}/workspaces/{other_ws}/channels", headers=h(team, "member")), 404)
    assert_problem(client.get(f"{API}/workspaces/{ws}/channels", headers=h(team, "outsider")), 404)


def test_a_dm_names_its_members_in_the_list_and_alone(server, team, client):
    """A DM has no name: the list and GET /channels/{ch} give its `member_ids` (the console names
    it by who is in it); a channel carries no such field, and another member never sees the DM."""
    ws = team["ws"]
    me, other = h(team, "member"), uid(team["member2"])
    r = client.post(f"{API}/workspaces/{ws}/dms", json={"member_ids": [other]}, headers=me)
    assert r.status_code in (200, 201), r.text
    dm = r.json()["id"]
    expected = sorted([uid(team["member"]), other])
    item = listed(client, me, ws, dm)
    assert item["kind"] == "dm" and sorted(item["member_ids"]) == expected, item
    r = client.get(f"{API}/channels/{dm}", headers=me)
    assert r.status_code == 200 and sorted(r.json()["member_ids"]) == expected, r.text
    channel = create_channel_ok(client, me, ws, channel_name("named"))
    assert "member_ids" not in listed(client, me, ws, channel["id"])
    assert all(c["id"] != dm for c in list_channels(client, h(team, "admin"), ws))
