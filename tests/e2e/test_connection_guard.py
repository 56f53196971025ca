"""The first request of a connection: a client that sends nothing, or trickles a request head
without finishing it (slowloris), is disconnected after 30 s (a kept-alive connection silent
for 30 s between requests too: test_connection_caps.py); a healthy WebSocket is not affected."""

from __future__ import annotations

import socket
import threading
import time

from conftest import create_owner
from helpers_messaging import MESSAGING_SERVER_ENV, Stream, ws_connect


def _held_open_for(server, trickle: bool, result: dict, key: str) -> None:
    sock = socket.create_connection((server.host, server.port), timeout=5)
    started = time.monotonic()
    sock.settimeout(1)
    sent = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: "
    i = 0
    try:
        while time.monotonic() - started < 50:
            if trickle and i < len(sent):
                sock.sendall(sent[i:i + 1])
                i += 1
            elif trickle:
                sock.sendall(b"a")
            try:
                if sock.recv(1024) == b"":
                    break
            except TimeoutError:
                continue
            except ConnectionResetError:
                break
    finally:
        result[key] = time.monotonic() - started
        sock.close()


def test_silent_and_trickling_connections_are_cut_off_while_websockets_live_on(make_server):
    server = make_server(MESSAGING_SERVER_ENV)
    owner = create_owner(server, "guard@example.com", "Guard")
    stream = Stream(ws_connect(server))
    stream.send({"type": "auth", "token": owner["access_token"]})
    assert stream.recv(timeout=10)["type"] == "ready"

    result: dict[str, float] = {}
    threads = [threading.Thread(target=_held_open_for, args=(server, trickle, result, name), daemon=True)
               for name, trickle in (("silent", False), ("trickle", True))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for name in ("silent", "trickle"):
        assert 25 <= result[name] <= 40, f"{name} connection lasted {result[name]:.1f}s, want about 30 s"

    # The WebSocket opened before them answers as ever (it answers pings, so keep-alive keeps it).
    stream.send({"type": "ping"})
    frame = stream.recv(timeout=10)
    while frame.get("type") != "pong":
        frame = stream.recv(timeout=10)
    stream.close()
