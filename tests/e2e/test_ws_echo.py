"""The test-only WebSocket echo route (for Autobahn's conformance cases in scripts/verify) and the
WebSocket layer rules it exposes: served only when asked for, refused in production, and text
frames that are not UTF-8 are closed with 1007 on every WebSocket route."""

from __future__ import annotations

import base64
import os
import socket
import struct

from websockets.sync.client import connect

ECHO = "/test/ws-echo"


def echo_url(server) -> str:
    return server.base_url.replace("http://", "ws://") + ECHO


def raw_upgrade(server, path: str) -> socket.socket:
    """Opens a WebSocket by hand so the test can send frames no library would."""
    sock = socket.create_connection((server.host, server.port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {server.host}:{server.port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        assert chunk, f"closed during the handshake: {head!r}"
        head += chunk
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


def masked_frame(opcode: int, payload: bytes) -> bytes:
    mask = os.urandom(4)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    assert len(payload) < 65536
    if len(payload) < 126:
        length = bytes([0x80 | len(payload)])
    else:
        length = bytes([0x80 | 126]) + struct.pack(">H", len(payload))
    return bytes([0x80 | opcode]) + length + mask + body


def read_close_code(sock: socket.socket) -> int | None:
    data = b""
    while True:
        try:
            chunk = sock.recv(4096)
        except (ConnectionResetError, TimeoutError):
            break
        if not chunk:
            break
        data += chunk
        # Walk whole frames looking for a close (opcode 8).
        offset = 0
        while offset + 2 <= len(data):
            opcode, length = data[offset] & 0x0F, data[offset + 1] & 0x7F
            header = 2
            if length == 126:
                length, header = struct.unpack(">H", data[offset + 2:offset + 4])[0], 4
            elif length == 127:
                length, header = struct.unpack(">Q", data[offset + 2:offset + 10])[0], 10
            if offset + header + length > len(data):
                break
            if opcode == 8:
                payload = data[offset + header:offset + header + length]
                return struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else None
            offset += header + length
    return None


def test_echo_route_is_not_served_by_default(server):
    with server.client() as c:
        r = c.get(ECHO, headers={"Connection": "Upgrade", "Upgrade": "websocket",
                                 "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
                                 "Sec-WebSocket-Version": "13"})
    # No upgrade (101): the route does not exist, as a plain request shows.
    assert r.status_code in (400, 404), r.status_code
    with server.client() as c:
        assert c.get(ECHO).status_code == 404


def test_echo_route_echoes_text_and_binary_when_enabled(make_server):
    server = make_server({"CONCLAVE_TEST_WS_ECHO": "true"})
    with connect(echo_url(server), open_timeout=10, ping_interval=None, proxy=None, max_size=2**21) as ws:
        ws.send("héllo ✓")
        assert ws.recv(timeout=10) == "héllo ✓"
        blob = os.urandom(65_000)
        ws.send(blob)
        assert ws.recv(timeout=10) == blob


def test_echo_route_makes_doctor_fatal_and_production_refuse(make_server):
    server = make_server({"CONCLAVE_TEST_WS_ECHO": "true"}, start=False)
    doctor = server.run_cli(["doctor"])
    assert doctor.returncode == 1, doctor.stdout + doctor.stderr
    assert "CONCLAVE_TEST_WS_ECHO" in doctor.stdout + doctor.stderr
    refused = server.run_cli(["serve"], env={"CONCLAVE_ENV": "production", "CONCLAVE_JWT_SECRET": "j" * 40,
                                             "CONCLAVE_MASTER_KEY": "m" * 40}, timeout=30)
    assert refused.returncode == 1
    assert "CONCLAVE_TEST_WS_ECHO" in refused.stderr


def test_text_frame_that_is_not_utf8_is_closed_with_1007(make_server):
    server = make_server({"CONCLAVE_TEST_WS_ECHO": "true"})
    for path in (ECHO, "/api/v1/ws"):
        sock = raw_upgrade(server, path)
        try:
            sock.sendall(masked_frame(0x1, b"\xff\xfe not utf-8 \xc3\x28"))
            assert read_close_code(sock) == 1007, path
        finally:
            sock.close()
    # The server is still serving.
    with server.client() as c:
        assert c.get("/health").status_code == 200
