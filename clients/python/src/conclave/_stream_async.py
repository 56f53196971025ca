"""`client.events.listen()` on `AsyncConclave`: `EventStream`'s behaviour with `async for`."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

from ._stream_core import StreamHandle, close_info
from .errors import AuthenticationError, ConclaveError, ConnectionError
from .events import Event


class AsyncEventStream(StreamHandle):
    """See `EventStream`: the same stream for `async for` (`await stream.aclose()` to stop)."""

    async def start(self) -> "AsyncEventStream":
        """Connects and waits until the stream is live (`async with` does this)."""
        while not self._core.started_once and not self._closed:
            await self._step()
        return self

    def __aiter__(self) -> "AsyncEventStream":
        return self

    async def __anext__(self) -> Event:
        while True:
            event = self._core.take()
            if event is not None:
                return event
            if self._closed:
                raise StopAsyncIteration
            await self._step()

    async def _step(self) -> None:
        if self._transport == "longpoll":
            await self._poll()
        else:
            await self._read_socket()

    async def aclose(self) -> None:
        self._closed = True
        await self._drop()

    async def __aenter__(self) -> "AsyncEventStream":
        return await self.start()

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    async def _read_socket(self) -> None:
        if self._ws is None:
            await self._connect()
            return
        try:
            raw = await asyncio.wait_for(self._ws.recv(), self._core.options.ping_interval)
        except asyncio.TimeoutError:
            await self._heartbeat()
            return
        except ConnectionClosed as closed:
            await self._on_closed(closed)
            return
        self._core.on_frame(raw)

    async def _heartbeat(self) -> None:
        assert self._ws is not None
        try:
            await self._ws.send(json.dumps({"type": "ping"}))
            raw = await asyncio.wait_for(self._ws.recv(), self._core.options.pong_timeout)
        except (asyncio.TimeoutError, ConnectionClosed, OSError) as exc:
            await self._drop(dead=True)
            self._core.note_failure(exc)
            return
        self._core.on_frame(raw)

    async def _connect(self) -> None:
        await asyncio.sleep(self._core.reconnect_delay())
        config = self._client._config
        try:
            ws = await connect(config.ws_url, open_timeout=self._core.options.open_timeout, ping_interval=None,
                               close_timeout=2, max_size=2**20, proxy=None,
                               user_agent_header=config.default_headers.get("User-Agent"))
        except InvalidStatus as exc:
            if not self._fall_back(exc.response.status_code):
                self._core.note_failure(exc)
            return
        except (OSError, asyncio.TimeoutError, WebSocketException) as exc:
            self._core.note_failure(ConnectionError(f"event stream: cannot connect: {exc}"))
            return
        self._ws = ws
        try:
            await ws.send(self._core.auth_frame(config.credentials.token or ""))
        except ConnectionClosed as closed:
            await self._on_closed(closed)

    async def _on_closed(self, closed: ConnectionClosed) -> None:
        self._ws = None
        fatal = self._core.on_socket_closed(*close_info(closed))
        if isinstance(fatal, AuthenticationError) and await self._try_refresh():
            return
        if fatal is not None:
            self._closed = True
            raise fatal

    async def _drop(self, dead: bool = False) -> None:
        ws, self._ws = self._ws, None
        if ws is not None:
            if dead:
                ws.close_timeout = 0.1  # nothing will answer the closing handshake
            try:
                await ws.close()
            except Exception:  # noqa: BLE001 - closing a broken socket may fail in any way
                pass

    async def _try_refresh(self) -> bool:
        if not self._client._config.credentials.refresh_token:
            return False
        try:
            await self._client.auth.refresh()
        except ConclaveError:
            return False
        return True

    async def _poll(self) -> None:
        await asyncio.sleep(self._core.reconnect_delay())
        try:
            batch = await self._client.events.poll(**self._core.poll_request())
        except ConclaveError as exc:
            self._core.on_poll_failure(exc)
            return
        self._core.on_poll_answer(batch)
