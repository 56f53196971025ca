"""Every resource of the SDK against the real server, with typed models back."""

from __future__ import annotations

import datetime as dt

import pytest

from conclave import Conclave, NotFoundError
from conclave.models import File, FileRef
from conclave.models import (Agent, APIKey, APIKeyCreated, AuditEntry, Channel, ChannelDetail, InviteCreated,
                             InviteSignedUp, Me, Member, Message, Reaction, SearchHit, Session, TokenPair,
                             Workspace)
from conftest import make_agent, make_channel, unique


def test_me_workspaces_and_sessions(client, server, owner, ws):
    me = client.me()
    assert isinstance(me, Me) and me.kind == "human" and me.email == owner["email"]
    assert [(w.id, w.role) for w in me.workspaces] == [(ws, "owner")]

    made = client.workspaces.create(unique("Side"))
    assert isinstance(made, Workspace) and made.role == "owner" and isinstance(made.created_at, dt.datetime)
    renamed = client.workspaces.update(made.id, name="Renamed")
    assert renamed.name == "Renamed" and client.workspaces.get(made.id).name == "Renamed"
    assert made.id in [w.id for w in client.workspaces.list()]
    client.workspaces.delete(made.id)
    with pytest.raises(NotFoundError):
        client.workspaces.get(made.id)

    sessions = list(client.sessions.list())
    assert sessions and all(isinstance(s, Session) for s in sessions)
    assert [s.current for s in sessions].count(True) == 1


def test_invites_members_and_signup(client, server, ws):
    invite = client.invites.create(ws, role="member", max_uses=1)
    assert isinstance(invite, InviteCreated) and invite.token and invite.role == "member"
    assert invite.id in [i.id for i in client.invites.list(ws)]

    with Conclave(base_url=server.base_url) as newcomer:
        joined = newcomer.invites.accept(invite.url, email=f"{unique('new')}@example.com",
                                         password="Pw-" + unique("secret") + "-long", name="New Person")
        assert isinstance(joined, InviteSignedUp) and joined.role == "member" and joined.access_token
        assert newcomer.me().id == joined.user_id  # the client signed in as the new person

    members = {m.id: m for m in client.members.list(ws)}
    assert isinstance(members[joined.user_id], Member) and members[joined.user_id].name == "New Person"
    assert client.members.update(ws, joined.user_id, role="viewer").role == "viewer"
    client.members.remove(ws, joined.user_id)
    assert joined.user_id not in {m.id for m in client.members.list(ws)}

    spare = client.invites.create(ws)
    client.invites.revoke(ws, spare.id)
    assert next(i for i in client.invites.list(ws) if i.id == spare.id).revoked is True


def test_agents_and_keys(client, server, ws):
    agent = client.agents.create(ws, unique("Helper"), description="does things")
    assert isinstance(agent, Agent) and agent.status == "active" and agent.description == "does things"
    key = client.keys.create(ws, agent.id, ["messages:read", "channels:read"], name="ci")
    assert isinstance(key, APIKeyCreated) and key.key.startswith("ck_") and sorted(key.scopes) == ["channels:read", "messages:read"]
    listed = list(client.keys.list(ws, agent.id))
    assert [k.id for k in listed] == [key.id] and isinstance(listed[0], APIKey)
    assert not hasattr(listed[0], "key")  # the secret is shown once

    with Conclave(key.key, base_url=server.base_url) as as_agent:
        me = as_agent.me()
        assert me.id == agent.id and me.kind == "agent" and set(me.scopes or []) == {"messages:read", "channels:read"}

    assert client.agents.pause(ws, agent.id).status == "paused"
    assert client.agents.resume(ws, agent.id).status == "active"
    assert client.agents.get(ws, agent.id).id == agent.id
    assert agent.id in [a.id for a in client.agents.list(ws)]
    client.keys.revoke(ws, agent.id, key.id)
    assert list(client.keys.list(ws, agent.id))[0].revoked_at is not None
    client.agents.delete(ws, agent.id)
    with pytest.raises(NotFoundError):
        client.agents.get(ws, agent.id)


def test_channels_membership_and_read_markers(client, server, ws):
    agent, key = make_agent(client, ws, ["messages:read", "messages:write", "channels:read", "channels:write"])
    channel = client.channels.create(ws, unique("general"), topic="chat")
    assert isinstance(channel, Channel) and channel.kind == "channel" and channel.topic == "chat"
    assert channel.id in [c.id for c in client.channels.list(ws)]
    assert client.channels.update(channel.id, topic="new topic").topic == "new topic"

    membership = client.channels.add_member(channel.id, agent.id)
    assert (membership.channel_id, membership.member_id) == (channel.id, agent.id)
    for i in range(3):
        client.messages.send(channel.id, f"m{i}")
    with Conclave(key, base_url=server.base_url) as bot:
        detail = bot.channels.get(channel.id)
        assert isinstance(detail, ChannelDetail) and detail.is_member and detail.unread_count == 3
        listed = next(c for c in bot.channels.list(ws) if c.id == channel.id)
        assert isinstance(listed, ChannelDetail) and (listed.unread_count, listed.mention_count) == (3, 0), listed
        assert bot.channels.mark_read(channel.id, 2).last_read_seq == 2
        assert bot.channels.get(channel.id).unread_count == 1
        bot.channels.leave(channel.id)
        with pytest.raises(NotFoundError):  # an agent outside a channel does not see it
            bot.channels.get(channel.id)

    client.channels.leave(channel.id)
    assert client.channels.join(channel.id).id == channel.id
    client.channels.add_member(channel.id, agent.id)
    client.channels.remove_member(channel.id, agent.id)

    dm = client.dms.open(ws, [agent.id])
    assert dm.kind == "dm" and dm.private and sorted(dm.member_ids or []) == sorted([client.me().id, agent.id])
    assert client.dms.open(ws, [agent.id]).id == dm.id

    client.channels.delete(channel.id)
    with pytest.raises(NotFoundError):
        client.channels.get(channel.id)


def test_messages_send_thread_edit_delete(client, server, ws):
    channel = make_channel(client, ws)
    root = client.messages.send(channel.id, "root", metadata={"n": 1, "tags": ["a"]}, client_msg_id="cm-1")
    assert isinstance(root, Message) and root.seq == 1 and root.metadata == {"n": 1, "tags": ["a"]}
    assert root.sender.kind == "human" and isinstance(root.created_at, dt.datetime) and root.edited_at is None
    again = client.messages.send(channel.id, "root", client_msg_id="cm-1")
    assert again.id == root.id  # client_msg_id: the original, not a duplicate

    reply = client.messages.reply(root, "in the thread")
    notice = client.messages.send(channel.id, "automated", kind="notice", thread_id=root.id)
    assert reply.thread_id == root.id and notice.kind == "notice"
    assert [m.id for m in client.messages.list(channel.id, thread_id=root.id)] == [root.id, reply.id, notice.id]

    added = client.messages.react(root.id, "👍")
    assert isinstance(added, Reaction) and (added.emoji, added.count, added.me) == ("👍", 1, True)
    assert client.messages.react(root.id, "👍") == added  # idempotent
    assert client.messages.react(root.id, ":+1:").count == 1
    listed = next(m for m in client.messages.list(channel.id) if m.id == root.id)
    assert [(r.emoji, r.count, r.me) for r in listed.reactions] == [("👍", 1, True), (":+1:", 1, True)]
    removed = client.messages.unreact(root.id, "👍")
    assert (removed.count, removed.me) == (0, False) and client.messages.unreact(root.id, "👍") == removed

    hits = list(client.messages.search(ws, "THREAD", channel_id=channel.id))
    assert [h.id for h in hits] == [reply.id] and isinstance(hits[0], SearchHit), hits
    assert hits[0].matched == ["thread"] and hits[0].highlight[0].start == 7
    assert [h.id for h in client.messages.search(ws, '"in the" autom*', limit=1)] == [] and \
        [h.id for h in client.messages.search(ws, "autom*", channel_id=channel.id)] == [notice.id]

    edited = client.messages.edit(reply.id, "edited text")
    assert edited.text == "edited text" and isinstance(edited.edited_at, dt.datetime)
    client.messages.delete(reply.id)
    tombstone = next(m for m in client.messages.list(channel.id) if m.id == reply.id)
    assert tombstone.deleted is True and tombstone.text is None


def test_audit_log(client, ws):
    entries = list(client.audit.list(ws, limit=5))
    assert entries and all(isinstance(e, AuditEntry) for e in entries)
    assert [e.seq for e in entries] == sorted(e.seq for e in entries)
    logins = list(client.audit.list(ws, action="auth.login.succeeded"))
    assert logins and {e.action for e in logins} == {"auth.login.succeeded"}


def test_login_tokens_refresh_and_environment(client, server, owner, monkeypatch):
    pair = client.auth.refresh()
    assert isinstance(pair, TokenPair) and client.token == pair.access_token
    assert client.me().email == owner["email"]

    # api_key and base_url from the environment
    monkeypatch.setenv("CONCLAVE_URL", server.base_url)
    monkeypatch.setenv("CONCLAVE_API_KEY", pair.access_token)
    with Conclave() as from_env:
        assert from_env.base_url == server.base_url and from_env.me().email == owner["email"]

    # an expired or revoked access token is renewed once with the refresh token
    with Conclave(base_url=server.base_url) as person:
        person.auth.login(owner["email"], owner["password"])
        stale = person.token
        person._config.credentials.token = "not-a-valid-token"
        assert person.me().email == owner["email"]
        assert person.token not in (stale, "not-a-valid-token")
        person.auth.logout()


def test_files_upload_attach_get_download_delete(client, server, ws):
    channel = make_channel(client, ws)
    data = b"quarterly numbers \x00\xff" * 5000
    uploaded = client.files.upload(ws, data, "report é.bin", content_type="application/octet-stream")
    assert isinstance(uploaded, File) and uploaded.size == len(data) and uploaded.name == "report é.bin"
    assert client.files.get(uploaded.id) == uploaded
    assert client.files.download(uploaded.id) == data
    message = client.messages.send(channel.id, "see attached", file_ids=[uploaded.id])
    assert message.files and isinstance(message.files[0], FileRef) and message.files[0].sha256 == uploaded.sha256
    assert client.files.download(client.files.upload(ws, b"", "empty.txt", content_type="text/plain").id) == b""
    client.files.delete(uploaded.id)
    with pytest.raises(NotFoundError):
        client.files.get(uploaded.id)
