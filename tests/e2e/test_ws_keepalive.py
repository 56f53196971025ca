"""WebSocket keep-alive (contract: the server pings, and closes a connection that does not answer
with a pong within 10 s). A raw client that never answers pings is closed; a client that answers
(the `websockets` library does so by itself) stays open."""

from __future__ import annotations

import json
import threading
import time

from conftest import create_owner
from helpers_messaging import MESSAGING_SERVER_ENV, Stream, ws_connect
from test_ws_echo import masked_frame, raw_upgrade


def test_a_socket_that_never_answers_pings_is_closed_and_one_that_does_stays(make_server):
    server = make_server(MESSAGING_SERVER_ENV)
    owner = create_owner(server, "keepalive@example.com", "Keepalive")

    # The polite client, watched from a thread while the silent one is tested.
    polite = Stream(ws_connect(server))
    polite.send({"type": "auth", "token": owner["access_token"]})
    assert polite.recv(timeout=10)["type"] == "ready"
    polite_error: list[str] = []

    def watch():
        deadline = time.monotonic() + 26
        try:
            while time.monotonic() < deadline:
                try:
                    polite.conn.recv(timeout=deadline - time.monotonic())
                except TimeoutError:
                    pass
        except Exception as exc:
            polite_error.append(f"{type(exc).__name__}: {exc}")

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()

    silent = raw_upgrade(server, "/api/v1/ws")
    try:
        silent.sendall(masked_frame(0x1, json.dumps({"type": "auth", "token": owner["access_token"]}).encode()))
        silent.settimeout(1)
        started = time.monotonic()
        pings = 0
        closed_at = None
        buffer = b""
        while time.monotonic() - started < 40:
            try:
                chunk = silent.recv(65536)
            except TimeoutError:
                continue
            except ConnectionResetError:
                closed_at = time.monotonic() - started
                break
            if not chunk:
                closed_at = time.monotonic() - started
                break
            buffer += chunk
            # Count ping frames (opcode 9) among the unmasked server frames.
            while len(buffer) >= 2:
                length = buffer[1] & 0x7F
                header = 2 + (2 if length == 126 else 8 if length == 127 else 0)
                if length >= 126:
                    if len(buffer) < header:
                        break
                    length = int.from_bytes(buffer[2:header], "big")
                if len(buffer) < header + length:
                    break
                if buffer[0] & 0x0F == 0x9:
                    pings += 1
                buffer = buffer[header + length:]
        assert pings >= 1, "the server never pinged"
        assert closed_at is not None, "a socket that never answered pings was still open after 40 s"
        assert closed_at <= 31, f"closed only after {closed_at:.1f}s"
    finally:
        silent.close()

    watcher.join(timeout=30)
    assert not polite_error, f"the client that answers pings was dropped: {polite_error}"
    polite.send({"type": "ping"})
    assert polite.recv(timeout=10)["type"] == "pong"
    polite.close()
