"""Raw-socket clients and process probes for the connection-bound tests (test_connection_caps.py,
test_ws_bounds.py): hand-built HTTP requests and WebSocket frames on Python `socket`s, no
library that would answer a close or a ping on the test's behalf, and the server's descriptor
count and resident memory read from /proc."""

from __future__ import annotations

import base64
import json
import os
import resource
import selectors
import socket
import struct
import time

# The descriptor limit the servers under these tests run with (issue: "a server whose descriptor
# limit is low").
LOW_DESCRIPTOR_LIMIT = 4096


def low_descriptor_limit(soft: int = LOW_DESCRIPTOR_LIMIT, hard: int = LOW_DESCRIPTOR_LIMIT):
    """A preexec_fn giving the server process RLIMIT_NOFILE (soft, hard)."""
    def apply():
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return apply


def raise_own_descriptor_limit(want: int) -> None:
    """The test process holds many sockets itself."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))


def connect(server, source_ip: str | None = None, timeout: float = 10) -> socket.socket:
    """A TCP connection to the server, from `source_ip` (any 127.x.y.z works on loopback: a
    second client address on one machine)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    if source_ip:
        sock.bind((source_ip, 0))
    sock.connect((server.host, server.port))
    return sock


def upgrade_request(server, path: str = "/api/v1/ws") -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    return (f"GET {path} HTTP/1.1\r\nHost: {server.host}:{server.port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()


def read_head(sock: socket.socket) -> bytes:
    """Reads up to the end of an HTTP response head; b'' if the server closed first."""
    head = b""
    while b"\r\n\r\n" not in head:
        try:
            chunk = sock.recv(4096)
        except (ConnectionResetError, TimeoutError):
            return head
        if not chunk:
            return head
        head += chunk
    return head


def open_websocket(server, source_ip: str | None = None) -> socket.socket | None:
    """A WebSocket upgraded by hand; None if the server refused or closed the connection."""
    sock = connect(server, source_ip)
    try:
        sock.sendall(upgrade_request(server))
    except (BrokenPipeError, ConnectionResetError):
        sock.close()
        return None
    head = read_head(sock)
    if not head.startswith(b"HTTP/1.1 101"):
        sock.close()
        return None
    return sock


def read_until(sock: socket.socket, marker: bytes, timeout: float = 10) -> bytes:
    """Reads until `marker` has arrived; fails if the server closes first."""
    sock.settimeout(timeout)
    data = b""
    while marker not in data:
        chunk = sock.recv(65536)
        assert chunk, f"closed before {marker!r}: {server_frames(data)[0]}"
        data += chunk
    return data


def authenticated_websocket(server, token: str) -> socket.socket:
    """A raw WebSocket past `ready`: it sends whatever it is told, even after the server has sent
    its close (a library client would refuse to)."""
    sock = open_websocket(server)
    assert sock is not None
    sock.sendall(frame(TEXT, json.dumps({"type": "auth", "token": token}).encode()))
    read_until(sock, b'"ready"')
    return sock


def frame(opcode: int, payload: bytes = b"", fin: bool = True) -> bytes:
    """A masked client frame (RFC 6455 5.2), any opcode, final or not."""
    mask = os.urandom(4)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    first = (0x80 if fin else 0) | opcode
    if len(payload) < 126:
        length = bytes([0x80 | len(payload)])
    elif len(payload) < 65536:
        length = bytes([0x80 | 126]) + struct.pack(">H", len(payload))
    else:
        length = bytes([0x80 | 127]) + struct.pack(">Q", len(payload))
    return bytes([first]) + length + mask + body


TEXT, CONTINUATION, CLOSE = 0x1, 0x0, 0x8


def server_frames(data: bytes) -> tuple[list[tuple[int, bytes]], bytes]:
    """Whole unmasked server frames in `data` as (opcode, payload), and the rest."""
    frames = []
    offset = 0
    while offset + 2 <= len(data):
        opcode, length = data[offset] & 0x0F, data[offset + 1] & 0x7F
        header = 2
        if length == 126:
            if offset + 4 > len(data):
                break
            length, header = struct.unpack(">H", data[offset + 2:offset + 4])[0], 4
        elif length == 127:
            if offset + 10 > len(data):
                break
            length, header = struct.unpack(">Q", data[offset + 2:offset + 10])[0], 10
        if offset + header + length > len(data):
            break
        frames.append((opcode, data[offset + header:offset + header + length]))
        offset += header + length
    return frames, data[offset:]


def close_code(payload: bytes) -> int | None:
    return struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else None


def wait_for_server_to_close(socks: list[socket.socket], timeout: float) -> dict[socket.socket, float]:
    """Reads every socket (never answering a close or a ping) until the server ends the TCP
    connection; returns when each ended (monotonic time), for those that did within `timeout`."""
    ended: dict[socket.socket, float] = {}
    selector = selectors.DefaultSelector()
    for sock in socks:
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    try:
        while len(ended) < len(socks) and time.monotonic() < deadline:
            for key, _ in selector.select(timeout=max(0.0, min(1.0, deadline - time.monotonic()))):
                sock = key.fileobj
                try:
                    chunk = sock.recv(65536)
                except BlockingIOError:
                    continue
                except (ConnectionResetError, TimeoutError):
                    chunk = b""
                if not chunk:
                    ended[sock] = time.monotonic()
                    selector.unregister(sock)
    finally:
        selector.close()
    return ended


def still_open(socks: list[socket.socket], settle: float = 1.0) -> list[socket.socket]:
    """The sockets the server has not closed, after giving refusals `settle` seconds to arrive."""
    ended = wait_for_server_to_close(socks, settle)
    return [s for s in socks if s not in ended]


def open_descriptors(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def resident_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def close_all(socks) -> None:
    for sock in socks:
        try:
            sock.close()
        except OSError:
            pass
