"""The caller's event stream: `listen()` (WebSocket, long-poll fallback) and one `poll()`."""

from __future__ import annotations

from typing import Any

import httpx

from .._stream_core import ResumeFailedCallback, StreamOptions, Transport
from ..events import EventBatch
from ._base import Resource, path


class EventsResource(Resource):
    def poll(self, *, after: str | None = None, wait: int = 25, mentions_only: bool = False) -> EventBatch:
        """One long-poll: the events after `after` (or from now), as soon as there are any or
        after `wait` seconds (0..60) with none. Raises `GoneError` for a cursor the server can
        no longer resume from."""
        return self._request("GET", path("events"), cast=EventBatch.from_dict,
                             params={"after": after, "wait": wait, "mentions_only": True if mentions_only else None},
                             timeout=httpx.Timeout(wait + 15.0, connect=10.0))

    def listen(self, *, cursor: str | None = None, mentions_only: bool = False, transport: Transport = "auto",
               on_resume_failed: ResumeFailedCallback | None = None, **options: Any) -> Any:
        """The caller's events from `cursor` (or from now), exactly once across reconnects.

        Returns an `EventStream` (iterate with `for`) on `Conclave`, already live; an
        `AsyncEventStream` on `AsyncConclave` (`async with ... as stream` makes it live, then
        `async for`). `mentions_only=True` keeps only messages that mention
        the caller and those of its DMs. Persist `stream.cursor` after handling each event and
        pass it back as `cursor` to go on where you left off. Further options: see
        `StreamOptions` (ping_interval, pong_timeout, poll_wait, reconnect_initial, reconnect_max,
        max_reconnect_attempts, open_timeout)."""
        opts = StreamOptions(mentions_only=mentions_only, transport=transport, **options)
        return self._client._open_stream(cursor=cursor, options=opts, on_resume_failed=on_resume_failed)
