"""What the connection bench scripts share: a WebSocket opened by hand on a Python socket, and
stopping the server under test (standard library only)."""

from __future__ import annotations

import base64
import os
import socket
import subprocess


def upgraded(port: int, timeout: float = 10, path: str = "/api/v1/ws") -> tuple[socket.socket, bytes] | None:
    """A socket upgraded to a WebSocket on 127.0.0.1:`port`, and what the server sent with the 101;
    None if the server closed the connection instead."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET {path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            sock.close()
            return None
        data += chunk
    return sock, data


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL if the server has not exited within 15 s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
