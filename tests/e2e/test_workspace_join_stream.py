"""A workspace joined while a stream is open reaches that stream, and one joined while the client
was away is replayed on resume, from the join:

- Accepting an invite (an existing person) or creating a workspace starts a `member.joined` event
  (no `channel_id`) in that workspace's log, which every member sees.
- The joiner's open sockets start following the new workspace at once: they receive their own
  `member.joined` and everything visible to them after it (a channel they are added to, its
  messages), and nothing of a private channel they are not in.
- A cursor made before the join resumes the new workspace from the join (WebSocket and long-poll),
  so nothing posted there in between is lost.
- Removed and invited back, an open stream starts receiving the workspace again.
"""

from __future__ import annotations

from conftest import create_owner
from helpers_identity import create_invite_ok, create_workspace
from helpers_messaging import (API, Stream, add_member_ok, channel_name, create_channel_ok, is_event, open_stream,
                               post_ok)
# the module's fixtures
from helpers_messaging import server, server_survives, streams  # noqa: F401


def connect(server, streams, token: str, **auth) -> tuple[Stream, dict, list[dict]]:
    stream, ready, before = open_stream(server, token, **auth)
    return streams(stream), ready, before


def people(server, tag: str) -> tuple[dict, dict]:
    """Two owners of separate workspaces: the host, and the guest who will join the host's."""
    return (create_owner(server, f"host-{tag}@example.com", f"Host {tag}"),
            create_owner(server, f"guest-{tag}@example.com", f"Guest {tag}"))


def invite_and_accept(server, host: dict, guest: dict) -> None:
    with server.client() as c:
        invite = create_invite_ok(c, host["headers"], host["workspace_id"], "member")
        r = c.post(f"{API}/invites/{invite['token']}/accept", headers=guest["headers"])
        assert r.status_code == 200, f"accept: {r.status_code} {r.text}"


def test_an_open_socket_follows_a_workspace_joined_through_an_invite(server, streams):
    host, guest = people(server, "live")
    ws = host["workspace_id"]
    with server.client() as c:
        private = create_channel_ok(c, host["headers"], ws, channel_name("secret"), private=True)["id"]
    stream, _, _ = connect(server, streams, guest["access_token"])

    invite_and_accept(server, host, guest)
    joined = stream.wait_for(is_event("member.joined", member_id=guest["user_id"]), what="the guest's own member.joined")
    assert joined["workspace_id"] == ws and "channel_id" not in joined, joined

    with server.client() as c:
        post_ok(c, host["headers"], private, "not for the guest")
        shared = create_channel_ok(c, host["headers"], ws, channel_name("shared"), private=True)["id"]
        add_member_ok(c, host["headers"], shared, guest["user_id"])
        sent = post_ok(c, host["headers"], shared, "welcome")
    frames = stream.collect_until(is_event("message.created", id=sent["id"]), what="the message in the shared channel")
    assert frames[-1]["data"]["text"] == "welcome"
    assert not any(f.get("channel_id") == private for f in frames), "an event of a private channel the guest is not in"
    assert any(is_event("member.joined", member_id=guest["user_id"])(f) and f.get("channel_id") == shared for f in frames)


def test_an_open_socket_follows_a_workspace_it_creates(server, streams):
    owner = create_owner(server, "creator@example.com", "First")
    stream, _, _ = connect(server, streams, owner["access_token"])
    with server.client() as c:
        ws = create_workspace(c, owner["headers"], "Second")["id"]
        joined = stream.wait_for(is_event("member.joined", member_id=owner["user_id"]), what="member.joined of the new workspace")
        assert joined["workspace_id"] == ws
        ch = create_channel_ok(c, owner["headers"], ws, channel_name("new"))["id"]
        sent = post_ok(c, owner["headers"], ch, "first words")
    got = stream.wait_for(is_event("message.created", id=sent["id"]), what="the message in the new workspace")
    assert got["workspace_id"] == ws


def test_resume_from_before_a_join_replays_the_new_workspace_from_the_join(server, streams):
    host, guest = people(server, "resume")
    ws = host["workspace_id"]
    with server.client() as c:
        before_join = post_ok(c, host["headers"], create_channel_ok(c, host["headers"], ws, channel_name("old"))["id"], "before")
    stream, ready, _ = connect(server, streams, guest["access_token"])
    stream.close()

    # While the guest is away: it joins (say from another device), is added to a channel, and
    # messages are posted there.
    invite_and_accept(server, host, guest)
    with server.client() as c:
        ch = create_channel_ok(c, host["headers"], ws, channel_name("later"), private=True)["id"]
        add_member_ok(c, host["headers"], ch, guest["user_id"])
        sent = [post_ok(c, host["headers"], ch, f"missed {i}")["id"] for i in range(3)]

    stream, _, replayed = connect(server, streams, guest["access_token"], resume_from=ready["cursor"])
    replayed += [] if any(is_event("message.created", id=sent[-1])(f) for f in replayed) else \
        stream.collect_until(is_event("message.created", id=sent[-1]), what="the last missed message")
    mine = [f for f in replayed if f.get("workspace_id") == ws]
    assert is_event("member.joined", member_id=guest["user_id"])(mine[0]), [f.get("event") for f in mine]
    assert [f["data"]["id"] for f in mine if is_event("message.created")(f)] == sent
    assert not any(f["data"].get("id") == before_join["id"] for f in replayed)

    # The long-poll takes the same cursor to the same events.
    with server.client() as c:
        r = c.get(f"{API}/events", params={"after": ready["cursor"], "wait": 0}, headers=guest["headers"])
    assert r.status_code == 200, r.text
    polled = [e for e in r.json()["events"] if e.get("workspace_id") == ws]
    assert is_event("member.joined", member_id=guest["user_id"])(polled[0])
    assert [e["data"]["id"] for e in polled if is_event("message.created")(e)] == sent


def test_removed_and_invited_back_an_open_socket_receives_the_workspace_again(server, streams):
    host, guest = people(server, "back")
    ws = host["workspace_id"]
    invite_and_accept(server, host, guest)
    with server.client() as c:
        ch = create_channel_ok(c, host["headers"], ws, channel_name("room"))["id"]
    stream, _, _ = connect(server, streams, guest["access_token"])
    with server.client() as c:
        assert c.delete(f"{API}/workspaces/{ws}/members/{guest['user_id']}", headers=host["headers"]).status_code == 204
    stream.wait_for(is_event("member.left", member_id=guest["user_id"]), what="the guest's removal")

    invite_and_accept(server, host, guest)
    stream.wait_for(is_event("member.joined", member_id=guest["user_id"]), what="the guest's return")
    with server.client() as c:
        add_member_ok(c, host["headers"], ch, guest["user_id"])
        sent = post_ok(c, host["headers"], ch, "welcome back")
    assert stream.wait_for(is_event("message.created", id=sent["id"]), what="a message after the return")["data"]["text"] == "welcome back"
