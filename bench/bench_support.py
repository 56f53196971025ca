"""What the bench scripts share: a WebSocket opened by hand on a Python socket, finding the
release binary, re-running under the project's venv, and stopping the server under test
(standard library only)."""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def use_project_venv(script: str) -> None:
    """Re-runs `script` under the project's .venv (it has the dependencies) unless this already is
    that Python; returns only when it is (the caller then re-raises its ImportError)."""
    venv_python = ROOT / ".venv/bin/python"
    if venv_python.exists() and Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
        os.execv(str(venv_python), [str(venv_python), script, *sys.argv[1:]])


def find_binary() -> Path:
    """The release `conclave` to measure: $CONCLAVE_BIN, else the project's release build."""
    for candidate in (os.environ.get("CONCLAVE_BIN"), ROOT / ".build-release/release/conclave",
                      ROOT / ".build/release/conclave"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    sys.exit("no release binary: swift build -c release --scratch-path .build-release")


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
