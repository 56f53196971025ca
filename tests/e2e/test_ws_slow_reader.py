"""A client that stops reading for good is cut off by the server (4408 when the close frame can
still get through) without waiting for it to read again: the writer may be stuck in a write to
the full socket, so the queue overflow itself cuts the connection."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from conftest import create_owner
from helpers_messaging import API, channel_name, create_channel_ok, non_reading_stream


def open_sockets(client) -> float:
    r = client.get("/metrics")
    assert r.status_code == 200, r.text[:200]
    for line in r.text.splitlines():
        if line.startswith("conclave_open_sockets"):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_a_client_that_never_reads_again_is_cut_off(make_server):
    srv = make_server({"CONCLAVE_RATE_LIMITS": "send=100000/1m:100000,api=1000000/1m,ws_connect=1000/1m,login=100/1m"})
    boss = create_owner(srv, "small@example.com", "Small")
    with srv.client() as c:
        ch = create_channel_ok(c, boss["headers"], boss["workspace_id"], channel_name("small"))
    slow = non_reading_stream(srv, boss["access_token"])
    total = 8000

    def poster(offset: int):
        with srv.client() as c:
            for i in range(offset, total, 8):
                r = c.post(f"{API}/channels/{ch['id']}/messages", json={"text": f"{i} " + "x" * 1000}, headers=boss["headers"])
                assert r.status_code == 201, r.text[:200]

    try:
        with srv.client() as c:
            assert open_sockets(c) == 1
            with ThreadPoolExecutor(max_workers=8) as pool:
                list(pool.map(poster, range(8)))
            # The client never reads again: the server must let go of the socket by itself, after
            # the 30 s it gives a stalled reader to read the close frame.
            deadline = time.monotonic() + 60
            while open_sockets(c) != 0 and time.monotonic() < deadline:
                time.sleep(0.2)
            assert open_sockets(c) == 0, "the server still holds the socket of a client that stopped reading"
    finally:
        slow.conn.close()
