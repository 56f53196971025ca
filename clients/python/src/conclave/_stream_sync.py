"""`client.events.listen()` on the sync client: an iterator of typed events that survives
disconnects (see `EventStream`)."""

from __future__ import annotations

import inspect
import json
import time
from typing import Any

from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException
from websockets.sync.client import connect

from ._stream_core import StreamHandle, close_info
from .errors import AuthenticationError, ConclaveError, ConnectionError
from .events import Event

# websockets ≥ 17.1 warns unless a directly held connection says so (older versions lack the flag)
_DIRECT = {"legacy": True} if "legacy" in inspect.signature(connect).parameters else {}


class EventStream(StreamHandle):
    """The caller's events, exactly once and in order, across reconnects.

        with client.events.listen(cursor=saved) as stream:
            for event in stream:
                handle(event)
                save(stream.cursor)      # resume from here after a restart

    Over the WebSocket it sends `{"type": "ping"}` after `ping_interval` seconds of silence and
    reconnects when nothing answers; any disconnect reconnects with jittered backoff and resumes
    from the last event received, dropping anything already delivered. A cursor the server can
    no longer resume from raises `ResumeFailedError` from the iteration (or calls
    `on_resume_failed`); iterating again goes on from the present. `transport="longpoll"` uses
    `GET /api/v1/events` instead; `"auto"` (the default) falls back to it when the WebSocket
    handshake is refused (e.g. by a proxy)."""

    def start(self) -> "EventStream":
        """Connects and waits until the stream is live (`listen()` does this), so that every
        event from then on is received. Events replayed meanwhile are kept for the iteration."""
        while not self._core.started_once and not self._closed:
            self._step()
        return self

    def __iter__(self) -> "EventStream":
        return self

    def __next__(self) -> Event:
        while True:
            event = self._core.take()
            if event is not None:
                return event
            if self._closed:
                raise StopIteration
            self._step()

    def _step(self) -> None:
        if self._transport == "longpoll":
            self._poll()
        else:
            self._read_socket()

    def close(self) -> None:
        self._closed = True
        self._drop()

    def __enter__(self) -> "EventStream":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- WebSocket ---------------------------------------------------------------------------

    def _read_socket(self) -> None:
        if self._ws is None:
            self._connect()
            return
        options = self._core.options
        try:
            raw = self._ws.recv(timeout=options.ping_interval)
        except TimeoutError:
            self._heartbeat()
            return
        except ConnectionClosed as closed:
            self._on_closed(closed)
            return
        self._core.on_frame(raw)

    def _heartbeat(self) -> None:
        """Silence for `ping_interval`: ping, and reconnect unless something arrives in time."""
        assert self._ws is not None
        try:
            self._ws.send(json.dumps({"type": "ping"}))
            raw = self._ws.recv(timeout=self._core.options.pong_timeout)
        except (TimeoutError, ConnectionClosed, OSError) as exc:
            self._drop(dead=True)
            self._core.note_failure(exc)
            return
        self._core.on_frame(raw)

    def _connect(self) -> None:
        time.sleep(self._core.reconnect_delay())
        try:
            ws = connect(self._client._config.ws_url, open_timeout=self._core.options.open_timeout,
                         ping_interval=None, close_timeout=2, max_size=2**20, proxy=None,
                         user_agent_header=self._client._config.default_headers.get("User-Agent"), **_DIRECT)
        except InvalidStatus as exc:
            # the socket is refused on the way (a proxy, say); HTTP may still work
            if not self._fall_back(exc.response.status_code):
                self._core.note_failure(exc)
            return
        except (OSError, TimeoutError, WebSocketException) as exc:
            self._core.note_failure(ConnectionError(f"event stream: cannot connect: {exc}"))
            return
        self._ws = ws
        try:
            ws.send(self._core.auth_frame(self._client._config.credentials.token or ""))
        except ConnectionClosed as closed:
            self._on_closed(closed)

    def _on_closed(self, closed: ConnectionClosed) -> None:
        self._ws = None
        fatal = self._core.on_socket_closed(*close_info(closed))
        if isinstance(fatal, AuthenticationError) and self._try_refresh():
            return
        if fatal is not None:
            self._closed = True
            raise fatal

    def _drop(self, dead: bool = False) -> None:
        ws, self._ws = self._ws, None
        if ws is not None:
            if dead:
                ws.close_timeout = 0.1  # nothing will answer the closing handshake
            try:
                ws.close()
            except Exception:  # noqa: BLE001 - closing a broken socket may fail in any way
                pass

    def _try_refresh(self) -> bool:
        if not self._client._config.credentials.refresh_token:
            return False
        try:
            self._client.auth.refresh()
        except ConclaveError:
            return False
        return True

    # -- long-poll ---------------------------------------------------------------------------

    def _poll(self) -> None:
        time.sleep(self._core.reconnect_delay())
        try:
            batch = self._client.events.poll(**self._core.poll_request())
        except ConclaveError as exc:
            self._core.on_poll_failure(exc)
            return
        self._core.on_poll_answer(batch)
