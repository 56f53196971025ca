"""Scale-out: two `conclave serve` processes on one PostgreSQL database deliver each other's events
to their sockets (LISTEN/NOTIFY carries the wake-up; each server reads the log from its own
cursor), a revocation on one server reaches the other's sockets and requests, and a server whose
LISTEN connection is killed still delivers (it reads the log, so a lost notification loses
nothing). PostgreSQL only: SQLite is one process's file."""

from __future__ import annotations

import secrets
import time

import pytest

from conftest import BACKEND, Server, create_owner, psql
from helpers_identity import create_invite_ok
from helpers_messaging import (API, MESSAGING_SERVER_ENV, UNAUTHORIZED, add_member_ok, channel_name, create_channel_ok,
                               is_event, open_stream, post_ok, wait_closed)
from tcp_proxy import CuttableProxy

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="several servers share one database only on PostgreSQL")


def shared_keys() -> dict:
    """What servers behind one load balancer share: the signing and master keys, and the public
    URL (the tokens' issuer: a server refuses a token another issuer signed)."""
    return dict(MESSAGING_SERVER_ENV, CONCLAVE_PUBLIC_URL=SHARED_PUBLIC_URL,
                CONCLAVE_JWT_SECRET=secrets.token_urlsafe(40), CONCLAVE_MASTER_KEY=secrets.token_urlsafe(40))


SHARED_PUBLIC_URL = "http://conclave.test"


def kill_listen_sessions(server) -> None:
    """Terminates every LISTEN session on the server's database (every server's)."""
    killed = psql(server.database_url, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                       "WHERE datname = current_database() AND query ILIKE 'LISTEN%'").stdout.strip()
    assert int(killed) >= 1, "no LISTEN session found to kill"


def guest_listening_on_b(a, b, tag: str):
    """A host's workspace on A, and a guest (owner of its own) with a socket open on B."""
    host = create_owner(a, f"host-{tag}@example.com", "Host")
    guest = create_owner(a, f"guest-{tag}@example.com", "Guest")
    on_b, _, _ = open_stream(b, guest["access_token"])
    return host, guest, on_b


@pytest.fixture
def pair(make_server):
    """Server A and server B on A's database, with the same signing and master keys."""
    shared = shared_keys()
    a = make_server(shared)
    b = make_server(dict(shared, CONCLAVE_DATABASE_URL=a.database_url))
    return a, b


@pytest.fixture
def proxied_pair(make_server):
    """Servers A and B as in `pair`, B reaching the database through a CuttableProxy (returned
    third) that the test can cut or silence."""
    shared = shared_keys()
    a = make_server(shared)
    proxy, proxied_url = CuttableProxy.for_database_url(a.database_url)
    try:
        b = make_server(dict(shared, CONCLAVE_DATABASE_URL=proxied_url))
        yield a, b, proxy
    finally:
        proxy.close()


def test_a_message_posted_on_one_server_reaches_a_socket_on_the_other(pair):
    a, b = pair
    owner = create_owner(a, "scale@example.com", "Scale")
    with a.client() as c:
        ch = create_channel_ok(c, owner["headers"], owner["workspace_id"], channel_name("scale"))["id"]

    on_b, _, _ = open_stream(b, owner["access_token"])
    on_a, _, _ = open_stream(a, owner["access_token"])
    try:
        with a.client() as c:
            sent = post_ok(c, owner["headers"], ch, "from A")
        started = time.monotonic()
        got = on_b.wait_for(is_event("message.created", id=sent["id"]), timeout=10, what="A's message on B")
        assert got["data"]["text"] == "from A"
        assert time.monotonic() - started < 5

        # The other way round, sent over B's socket.
        on_b.send({"type": "send", "channel_id": ch, "text": "from B", "client_msg_id": "b-1"})
        ack = on_b.wait_for(lambda f: f.get("type") == "ack", what="ack on B")
        got = on_a.wait_for(is_event("message.created", id=ack["message"]["id"]), timeout=10, what="B's message on A")
        assert got["data"]["text"] == "from B"

        # Both servers hand out the same gapless seqs from the one log.
        with b.client() as c:
            seqs = [m["seq"] for m in c.get(f"{API}/channels/{ch}/messages", headers=owner["headers"]).json()["data"]]
        assert sorted(seqs) == [1, 2]
    finally:
        on_a.close()
        on_b.close()


def test_logout_on_one_server_closes_sockets_and_refuses_requests_on_the_other(pair):
    a, b = pair
    owner = create_owner(a, "revoke@example.com", "Revoke")
    on_b, _, _ = open_stream(b, owner["access_token"])
    try:
        with b.client() as c:
            assert c.get(f"{API}/me", headers=owner["headers"]).status_code == 200  # now cached on B
        with a.client() as c:
            assert c.post(f"{API}/auth/logout", headers=owner["headers"]).status_code in (200, 204)
        code, _ = wait_closed(on_b.conn, timeout=10)
        assert code == UNAUTHORIZED
        with b.client() as c:
            assert c.get(f"{API}/me", headers=owner["headers"]).status_code == 401
    finally:
        on_b.close()


def test_a_server_whose_listen_connection_dies_still_delivers(pair):
    a, b = pair
    owner = create_owner(a, "listen@example.com", "Listen")
    with a.client() as c:
        ch = create_channel_ok(c, owner["headers"], owner["workspace_id"], channel_name("listen"))["id"]
    on_b, _, _ = open_stream(b, owner["access_token"])
    try:
        # Kill every LISTEN session on the database (A's and B's): NOTIFYs sent now reach nobody.
        kill_listen_sessions(a)
        with a.client() as c:
            sent = post_ok(c, owner["headers"], ch, "while nobody listens")
        got = on_b.wait_for(is_event("message.created", id=sent["id"]), timeout=15, what="the message on B")
        assert got["data"]["text"] == "while nobody listens"
        assert a.running and b.running
    finally:
        on_b.close()


def test_a_database_outage_closes_sockets_with_1011_not_as_revoked(proxied_pair):
    """Losing the database is not a revocation: a socket whose credential cannot be re-checked
    is closed with 1011 (try again), not 4401, writes nothing unverified, and its client resumes
    once the database is back without losing what was posted meanwhile. (Before, any error during
    the re-check closed the socket 4401 'credentials revoked'.)"""
    a, b, proxy = proxied_pair
    owner = create_owner(a, "outage@example.com", "Outage")
    with a.client() as c:
        ch = create_channel_ok(c, owner["headers"], owner["workspace_id"], channel_name("outage"))["id"]
    on_b, ready, _ = open_stream(b, owner["access_token"])
    try:
        proxy.cut()  # B loses its LISTEN connection, so it must re-check every socket's credential
        with a.client() as c:
            sent = post_ok(c, owner["headers"], ch, "posted while B cannot reach the database")
        try:
            code, frames = wait_closed(on_b.conn, timeout=20)
        except AssertionError:
            print("server B's log:", *b.stdout_lines[-30:], *b.stderr_lines[-30:], sep="\n")
            raise
        assert code == 1011, f"close code {code}"
        assert frames == [], "a frame was written on a credential that could not be verified"
    finally:
        on_b.close()
    assert b.running

    proxy.restore()
    deadline = time.monotonic() + 20
    while True:
        try:
            again, _, replayed = open_stream(b, owner["access_token"], resume_from=ready["cursor"])
            break
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    try:
        frames = list(replayed)
        if not any(is_event("message.created", id=sent["id"])(f) for f in frames):
            frames += again.collect_until(is_event("message.created", id=sent["id"]), 10, "the message")
        texts = [f["data"]["text"] for f in frames if is_event("message.created")(f)]
        assert texts == ["posted while B cannot reach the database"]
    finally:
        again.close()



def test_a_workspace_joined_on_one_server_reaches_a_socket_on_the_other(pair):
    a, b = pair
    host, guest, on_b = guest_listening_on_b(a, b, "join")
    try:
        with a.client() as c:
            invite = create_invite_ok(c, host["headers"], host["workspace_id"], "member")
            assert c.post(f"{API}/invites/{invite['token']}/accept", headers=guest["headers"]).status_code == 200
        joined = on_b.wait_for(is_event("member.joined", member_id=guest["user_id"]), timeout=10, what="the join on B")
        assert joined["workspace_id"] == host["workspace_id"]
        with a.client() as c:
            ch = create_channel_ok(c, host["headers"], host["workspace_id"], channel_name("joined"))["id"]
            add_member_ok(c, host["headers"], ch, guest["user_id"])
            sent = post_ok(c, host["headers"], ch, "across servers")
        got = on_b.wait_for(is_event("message.created", id=sent["id"]), timeout=10, what="the message on B")
        assert got["data"]["text"] == "across servers"
    finally:
        on_b.close()


def test_a_join_announced_while_a_server_cannot_listen_reaches_its_sockets_once_it_listens_again(pair):
    """The join NOTIFY is lost for a server whose LISTEN connection is down; when it listens
    again it reads its streams' memberships and follows the workspace from the join."""
    a, b = pair
    host, guest, on_b = guest_listening_on_b(a, b, "deaf")
    try:
        with a.client() as c:
            invite = create_invite_ok(c, host["headers"], host["workspace_id"], "member")
            # Every LISTEN session goes; B listens again only after its 1 s reconnect pause, so
            # the join's NOTIFY, sent now, never reaches it.
            kill_listen_sessions(a)
            assert c.post(f"{API}/invites/{invite['token']}/accept", headers=guest["headers"]).status_code == 200
        joined = on_b.wait_for(is_event("member.joined", member_id=guest["user_id"]), timeout=15, what="the join on B")
        assert joined["workspace_id"] == host["workspace_id"] and "channel_id" not in joined
    finally:
        on_b.close()


def test_a_status_set_on_one_server_reaches_a_socket_on_the_other_and_ends_there(pair):
    """A status is not in the log: NOTIFY carries it to the other servers, and each clears it
    at its TTL or with the principal's next message for its own sockets."""
    a, b = pair
    owner = create_owner(a, "status-scale@example.com", "Status")
    with a.client() as c:
        ch = create_channel_ok(c, owner["headers"], owner["workspace_id"], channel_name("status"))["id"]
    on_b, _, _ = open_stream(b, owner["access_token"])
    try:
        with a.client() as c:
            r = c.post(f"{API}/channels/{ch}/status", headers=owner["headers"], json={"state": "typing", "ttl_s": 2})
            assert r.status_code == 200, r.text
        got = on_b.wait_for(is_event("status.updated", state="typing"), timeout=10, what="A's status on B")
        assert got["ephemeral"] is True and got["channel_id"] == ch, got
        ended = on_b.wait_for(is_event("status.updated", state="idle"), timeout=10, what="the status ended on B at its TTL")
        assert ended["data"]["reason"] == "expired", ended

        with a.client() as c:
            assert c.post(f"{API}/channels/{ch}/status", headers=owner["headers"], json={"state": "working", "ttl_s": 120}).status_code == 200
            on_b.wait_for(is_event("status.updated", state="working"), timeout=10, what="the second status on B")
            sent = post_ok(c, owner["headers"], ch, "finished")
        frames = on_b.collect_until(is_event("status.updated", state="idle"), timeout=10, what="the status ended on B by the message")
        assert any(is_event("message.created", id=sent["id"])(f) for f in frames), "the message came after its clearing status"
        assert frames[-1]["data"]["reason"] == "message", frames[-1]
    finally:
        on_b.close()
