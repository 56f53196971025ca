"""Socket caps are configurable (contract: 5 per human session and 20 per agent by default,
configurable): CONCLAVE_WS_SOCKETS_PER_SESSION / CONCLAVE_WS_SOCKETS_PER_AGENT."""

from __future__ import annotations

import json

from conftest import create_owner
from helpers_agents import create_agent_ok, create_key_ok
from helpers_messaging import MESSAGING_SERVER_ENV, TOO_MANY, open_stream, wait_closed, ws_connect


def test_configured_socket_caps_apply(make_server):
    server = make_server(dict(MESSAGING_SERVER_ENV, CONCLAVE_WS_SOCKETS_PER_SESSION="2", CONCLAVE_WS_SOCKETS_PER_AGENT="3"))
    owner = create_owner(server, "caps@example.com", "Caps")
    with server.client() as c:
        agent = create_agent_ok(c, owner["headers"], owner["workspace_id"], "Capped")
        key = create_key_ok(c, owner["headers"], owner["workspace_id"], agent["id"], ["messages:read"])["key"]
    opened = []
    try:
        for token, allowed in ((owner["access_token"], 2), (key, 3)):
            for _ in range(allowed):
                opened.append(open_stream(server, token)[0])
            extra = ws_connect(server)
            extra.send(json.dumps({"type": "auth", "token": token}))
            code, frames = wait_closed(extra, timeout=10)
            assert code == TOO_MANY, (token[:3], code, frames)
    finally:
        for s in opened:
            s.close()


def test_socket_cap_must_be_a_positive_number(make_server):
    server = make_server({"CONCLAVE_WS_SOCKETS_PER_SESSION": "0"}, start=False)
    proc = server.run_cli(["serve"], timeout=30)
    assert proc.returncode == 2
    assert "CONCLAVE_WS_SOCKETS_PER_SESSION" in proc.stderr
