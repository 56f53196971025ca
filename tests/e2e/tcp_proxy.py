"""A TCP forwarder the test can cut and restore: it stands between a server and PostgreSQL to
simulate the database becoming unreachable for that one server. It can also turn chosen
connections into black holes: kept open, nothing forwarded either way, nothing closed, as a NAT
or load balancer that silently forgot them (or a frozen server process) would."""

from __future__ import annotations

import socket
import threading
from urllib.parse import urlsplit, urlunsplit


# What a PostgreSQL client sends to start listening (PostgresNIO: `LISTEN "channel";`).
LISTEN_COMMAND = b'LISTEN "'


class _Pair:
    """One forwarded connection: whether its client has sent LISTEN, whether it is a black hole."""

    def __init__(self) -> None:
        self.listening = False
        self.blackholed = False


class CuttableProxy:
    def __init__(self, target_host: str, target_port: int, listen_host: str = "127.0.0.1"):
        self.target = (target_host, target_port)
        self.listener = socket.create_server((listen_host, 0))
        self.port = self.listener.getsockname()[1]
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._cut = False
        self._stopped = False
        self._pairs: list[_Pair] = []
        self._silence_listeners = False
        threading.Thread(target=self._accept, daemon=True).start()

    @classmethod
    def for_database_url(cls, url: str, listen_host: str = "127.0.0.1") -> tuple["CuttableProxy", str]:
        """A proxy to the database in `url`, listening on `listen_host`, and the same URL pointed
        at the proxy."""
        parts = urlsplit(url)
        proxy = cls(parts.hostname or "127.0.0.1", parts.port or 5432, listen_host)
        credentials = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
        return proxy, urlunsplit(parts._replace(netloc=f"{credentials}{listen_host}:{proxy.port}"))

    def cut(self) -> None:
        """Drops every forwarded connection and refuses new ones until `restore`."""
        with self._lock:
            self._cut = True
            conns, self._open = self._open, []
        for conn in conns:
            _close(conn)

    def restore(self) -> None:
        with self._lock:
            self._cut = False

    def silence_listen_connections(self) -> int:
        """Every connection on which the client has sent LISTEN, now or later, stops forwarding in
        both directions, for good, without being closed. Returns how many were silenced now."""
        with self._lock:
            self._silence_listeners = True
            listening = [pair for pair in self._pairs if pair.listening and not pair.blackholed]
            for pair in listening:
                pair.blackholed = True
        return len(listening)

    def close(self) -> None:
        self._stopped = True
        self.cut()
        _close(self.listener)

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _close(client)
                continue
            with self._lock:
                # Checked and registered under the lock: a connection made while `cut` runs is
                # either dropped by it or refused here.
                refused = self._cut
                if not refused:
                    self._open += [client, upstream]
            if refused:
                _close(client)
                _close(upstream)
                continue
            pair = _Pair()
            with self._lock:
                self._pairs.append(pair)
            threading.Thread(target=self._pump, args=(client, upstream, pair, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, pair, False), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, pair: _Pair, from_client: bool) -> None:
        try:
            while data := source.recv(65536):
                if from_client and LISTEN_COMMAND in data:
                    with self._lock:
                        pair.listening = True
                        pair.blackholed = pair.blackholed or self._silence_listeners
                if not pair.blackholed:
                    sink.sendall(data)
        except OSError:
            pass
        _close(source)
        _close(sink)


def _close(conn: socket.socket) -> None:
    try:
        conn.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    conn.close()
