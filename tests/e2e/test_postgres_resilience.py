"""PostgreSQL under adverse conditions, with the real binary: a LISTEN connection that the
network silently forgets (two servers on one database). PostgreSQL only: SQLite has no LISTEN."""

from __future__ import annotations

import time

import pytest
from websockets.exceptions import ConnectionClosed

from conftest import BACKEND, create_owner
from helpers_agents import bearer, create_agent_ok, create_key_ok
from helpers_identity import login_ok
from helpers_messaging import API, UNAUTHORIZED, add_member_ok, create_channel_ok, list_messages, open_stream, wait_closed
from test_scaleout import proxied_pair  # noqa: F401 (a fixture)

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="LISTEN/NOTIFY exists only on PostgreSQL")

# A silent LISTEN connection is noticed within the probe interval plus its timeout (3 s + 4 s);
# this leaves room for a loaded machine, and is far below the 30 s the caches would otherwise keep
# a revoked credential (and an open socket, forever).
NOTICED_WITHIN = 12.0


def poll_until_refused(server, headers: dict, timeout: float) -> float:
    """Seconds until `server` answers GET /me with 401 for `headers`; fails after `timeout`."""
    started = time.monotonic()
    with server.client() as c:
        while True:
            status = c.get(f"{API}/me", headers=headers).status_code
            if status == 401:
                return time.monotonic() - started
            assert status == 200, f"GET /me answered {status}"
            assert time.monotonic() - started < timeout, f"still accepted {timeout:.0f}s after the revocation"
            time.sleep(0.25)


def test_a_server_whose_listen_connection_goes_silent_stops_trusting_revoked_credentials(proxied_pair):
    """B's LISTEN connections stay open but carry nothing (a NAT forgot them): a logout and a
    key revocation on A are never heard on B. B must notice the silence (a round trip on the
    LISTEN connection that does not come back), stop serving cached credentials, re-check its
    sockets, and so refuse both credentials within seconds; its sockets are closed 4401 and
    store nothing sent on them. (Before: B kept serving both from its cache for 30 s and its
    sockets forever.)"""
    a, b, proxy = proxied_pair
    owner = create_owner(a, "silent@example.com", "Silent")
    with a.client() as c:
        ch = create_channel_ok(c, owner["headers"], owner["workspace_id"])["id"]
        agent = create_agent_ok(c, owner["headers"], owner["workspace_id"], "Silent Bot")
        add_member_ok(c, owner["headers"], ch, agent["id"])
        key = create_key_ok(c, owner["headers"], owner["workspace_id"], agent["id"], ["messages:read", "messages:write"])
        second = login_ok(c, "silent@example.com", owner["password"])  # the session that will log out
    session_headers = bearer(second["access_token"])
    key_headers = bearer(key["key"])

    with b.client() as c:  # both credentials now cached on B
        assert c.get(f"{API}/me", headers=session_headers).status_code == 200
        assert c.get(f"{API}/me", headers=key_headers).status_code == 200
    by_session, _, _ = open_stream(b, second["access_token"])
    by_key, _, _ = open_stream(b, key["key"])
    try:
        assert proxy.silence_listen_connections() >= 1, "B has no LISTEN connection through the proxy"
        with a.client() as c:
            assert c.post(f"{API}/auth/logout", headers=session_headers).status_code in (200, 204)
            revoked = c.delete(f"{API}/workspaces/{owner['workspace_id']}/agents/{agent['id']}/keys/{key['id']}",
                               headers=owner["headers"])
            assert revoked.status_code in (200, 204), revoked.text

        poll_until_refused(b, session_headers, NOTICED_WITHIN)
        poll_until_refused(b, key_headers, NOTICED_WITHIN)

        for name, stream in (("session", by_session), ("key", by_key)):
            text = f"after-revocation-{name}"
            try:
                stream.send({"type": "send", "channel_id": ch, "text": text, "client_msg_id": text})
            except ConnectionClosed:
                pass  # already closed: nothing could be sent
            code, frames = wait_closed(stream.conn, timeout=NOTICED_WITHIN)
            assert code == UNAUTHORIZED, f"the {name}'s socket on B closed with {code}"
            assert not [f for f in frames if '"ack"' in f], f"a send on the revoked {name}'s socket was acknowledged"
        with a.client() as c:
            texts = [m["text"] for m in list_messages(c, owner["headers"], ch)]
        assert not [t for t in texts if t.startswith("after-revocation")], f"stored after the revocation: {texts}"
        assert b.running
    finally:
        by_session.close()
        by_key.close()
