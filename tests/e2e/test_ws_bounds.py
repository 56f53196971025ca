"""What one WebSocket client can make the server hold: a message split into endless empty
continuation frames is refused (1009) after a bounded number of fragments, before and after
authentication, and the server's memory does not grow with it; a fragmented message within the
bounds is still read. Raw Python sockets with hand-built frames, so nothing is smoothed over by a
client library."""

from __future__ import annotations

import json
import socket
import time

import pytest

from conftest import create_owner
from helpers_connections import (CLOSE, CONTINUATION, TEXT, authenticated_websocket, close_code, frame, open_websocket,
                                 read_until, resident_mib, server_frames)
from helpers_messaging import MESSAGING_SERVER_ENV

MESSAGE_TOO_BIG = 1009
# A burst of empty continuation frames: 6 bytes each on the wire.
BURST = frame(CONTINUATION, b"", fin=False) * 2000


def flood_continuations(sock: socket.socket, seconds: float) -> tuple[int | None, bool, int]:
    """Sends one unfinished text frame, then empty continuation frames for up to `seconds`,
    reading what the server sends. Returns (close code received, whether the server ended the
    connection, continuation frames sent)."""
    sock.settimeout(0.05)
    sock.sendall(frame(TEXT, b"{", fin=False))
    sent, code, buffer = 0, None, b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            sock.sendall(BURST)
            sent += 2000
        except (BrokenPipeError, ConnectionResetError):
            return code, True, sent
        except TimeoutError:
            pass
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except ConnectionResetError:
            return code, True, sent
        if not chunk:
            return code, True, sent
        buffer += chunk
        frames, buffer = server_frames(buffer)
        for opcode, payload in frames:
            if opcode == CLOSE and code is None:
                code = close_code(payload)
    return code, False, sent


@pytest.mark.parametrize("authenticated", [False, True], ids=["before-auth", "after-auth"])
def test_endless_empty_continuation_frames_are_refused_and_do_not_grow_memory(make_server, authenticated):
    server = make_server(MESSAGING_SERVER_ENV)
    if authenticated:
        sock = authenticated_websocket(server, create_owner(server, "frag@example.com", "Fragments")["access_token"])
    else:
        sock = open_websocket(server)
    assert sock is not None
    try:
        before = resident_mib(server.proc.pid)
        code, ended, sent = flood_continuations(sock, seconds=6)
        grown = resident_mib(server.proc.pid) - before
        assert code == MESSAGE_TOO_BIG, f"after {sent} empty continuation frames: close code {code}, want 1009"
        assert ended, "the server sent its close but kept the connection"
        assert grown < 40, f"the server grew by {grown:.0f} MiB during the flood"
    finally:
        sock.close()
    assert server.running


def test_a_message_in_64_fragments_is_read(make_server):
    server = make_server(MESSAGING_SERVER_ENV)
    token = create_owner(server, "frag64@example.com", "Fragments")["access_token"]
    text = json.dumps({"type": "auth", "token": token}).encode()
    size = -(-len(text) // 64)
    pieces = [text[i:i + size] for i in range(0, len(text), size)]
    pieces += [b""] * (64 - len(pieces))
    sock = open_websocket(server)
    assert sock is not None
    try:
        wire = frame(TEXT, pieces[0], fin=False)
        wire += b"".join(frame(CONTINUATION, p, fin=False) for p in pieces[1:-1])
        wire += frame(CONTINUATION, pieces[-1], fin=True)
        sock.sendall(wire)
        read_until(sock, b'"ready"')
    finally:
        sock.close()
