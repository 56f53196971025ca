"""A TCP forwarder that can go silent without closing anything (a peer that vanished, a NAT that
forgot the connection): only a heartbeat notices."""

from __future__ import annotations

import socket
import threading

from http_proxy import listen


class FreezableProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self._frozen: set[int] = set()
        self._lock = threading.Lock()
        self.accepted = 0
        self.listener, self.port = listen(self._forward)
        self.base_url = f"http://127.0.0.1:{self.port}"

    def freeze(self) -> None:
        """Every connection open now stops carrying bytes (new ones work)."""
        self._frozen.update(range(1, self.accepted + 1))

    def close(self) -> None:
        self.listener.close()

    def _forward(self, client: socket.socket) -> None:
        with self._lock:
            self.accepted += 1
            number = self.accepted
        upstream = socket.create_connection(self.target)
        threading.Thread(target=self._pump, args=(upstream, client, number), daemon=True).start()
        self._pump(client, upstream, number)

    def _pump(self, source: socket.socket, sink: socket.socket, number: int) -> None:
        try:
            while data := source.recv(65536):
                if number not in self._frozen:  # frozen: bytes vanish, nothing is closed
                    sink.sendall(data)
            if number not in self._frozen:
                sink.shutdown(socket.SHUT_WR)  # pass the end of the stream on
        except OSError:
            pass
