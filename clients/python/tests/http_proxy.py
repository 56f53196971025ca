"""An HTTP/1.1 proxy the tests put between the SDK and the real server, to lose an answer on the
way back, refuse WebSocket upgrades (as some proxies do), or answer in the server's stead as a
failing load balancer would. Every request it sees is recorded."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from typing import Callable


@dataclass
class SeenRequest:
    method: str
    path: str
    headers: dict[str, str]
    #: what the policy decided
    action: str = ""
    #: the server's status line, when the request reached it
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)


# what to do with a request: "forward"; "drop" (forward it, then close the connection instead of
# answering); "refuse" (403 without reaching the server); or raw bytes to answer with instead
Policy = Callable[[SeenRequest], "str | bytes"]


class HttpProxy:
    def __init__(self, target_host: str, target_port: int, policy: Policy) -> None:
        self.target = (target_host, target_port)
        self.policy = policy
        self.seen: list[SeenRequest] = []
        self._lock = threading.Lock()
        self.listener, self.port = listen(self._serve)
        self.base_url = f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        try:
            self.listener.close()
        except OSError:
            pass

    def requests(self, method: str, path_part: str = "") -> list[SeenRequest]:
        with self._lock:
            return [r for r in self.seen if r.method == method and path_part in r.path]

    def _serve(self, client: socket.socket) -> None:
        reader = _Reader(client)
        try:
            while True:
                message = reader.message()
                if message is None:
                    return
                seen = _describe(message)
                with self._lock:
                    self.seen.append(seen)
                action = self.policy(seen)
                seen.action = action if isinstance(action, str) else "answer"
                if action == "refuse":
                    client.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    return
                if isinstance(action, bytes):
                    client.sendall(action)
                    continue
                with socket.create_connection(self.target, timeout=70) as upstream:
                    upstream.sendall(message)
                    answer = _Reader(upstream).message()
                if answer is None:
                    return
                head = _describe_response(answer)
                seen.status, seen.response_headers = head
                if action == "drop":
                    return  # the server acted; the client never hears of it
                client.sendall(answer)
        except OSError:
            return
        finally:
            client.close()


def listen(handle: Callable[[socket.socket], None]) -> tuple[socket.socket, int]:
    """A loopback listener on a free port whose connections are each handled in a thread."""
    listener = socket.create_server(("127.0.0.1", 0))

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return listener, listener.getsockname()[1]


class _Reader:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""

    def _fill(self) -> bool:
        data = self.sock.recv(65536)
        self.buf += data
        return bool(data)

    def message(self) -> bytes | None:
        """One whole HTTP message (head and body, Content-Length or chunked)."""
        while b"\r\n\r\n" not in self.buf:
            if not self._fill():
                return None
        head, _, rest = self.buf.partition(b"\r\n\r\n")
        headers = _headers(head)
        if headers.get("transfer-encoding", "").lower() == "chunked":
            while b"0\r\n\r\n" not in rest:
                if not self._fill():
                    return None
                rest = self.buf.partition(b"\r\n\r\n")[2]
            end = rest.index(b"0\r\n\r\n") + 5
        else:
            end = int(headers.get("content-length", "0"))
            while len(rest) < end:
                if not self._fill():
                    return None
                rest = self.buf.partition(b"\r\n\r\n")[2]
        message = head + b"\r\n\r\n" + rest[:end]
        self.buf = rest[end:]
        return message


def _headers(head: bytes) -> dict[str, str]:
    lines = head.decode("latin-1").split("\r\n")[1:]
    return {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines) if k}


def _describe(message: bytes) -> SeenRequest:
    head = message.partition(b"\r\n\r\n")[0]
    method, target, _ = head.decode("latin-1").split("\r\n", 1)[0].split(" ", 2)
    return SeenRequest(method=method, path=target, headers=_headers(head))


def _describe_response(message: bytes) -> tuple[int, dict[str, str]]:
    head = message.partition(b"\r\n\r\n")[0]
    return int(head.split(b" ", 2)[1]), _headers(head)
