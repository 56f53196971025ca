"""What the sync and async event streams share: the frames, the cursor, exactly-once, backoff.

Exactly once: events of one workspace arrive in the order of that workspace's event log, and a
cursor (`c1.` + base64url of `ws_id=seq;…`) carries each workspace's position. So an event whose
position in its workspace is not past the last one seen there is a repeat (a reconnect that
resumed from an older cursor) and is dropped. A cursor this SDK cannot read (another format)
falls back to remembering the cursors of recent events.
"""

from __future__ import annotations

import base64
import collections
import json
import random
from dataclasses import dataclass
from typing import Any, Callable, Literal

from .errors import (AuthenticationError, ConclaveError, ConnectionError, GoneError, LockedError,
                     PermissionDeniedError, RateLimitError, ResumeFailedError, ServerError, ValidationError)
from .events import Event, parse_event

Transport = Literal["auto", "websocket", "longpoll"]

# WebSocket close codes of the contract
CLOSE_UNAUTHORIZED = 4401
CLOSE_TOO_SLOW = 4408
CLOSE_PAUSED = 4423
CLOSE_TOO_MANY = 4429

ResumeFailedCallback = Callable[[ResumeFailedError], Any]


def cursor_positions(cursor: str | None) -> dict[str, int] | None:
    """The per-workspace positions in a `c1.` cursor, or None when it is not one."""
    if not cursor or not cursor.startswith("c1."):
        return None
    try:
        text = base64.urlsafe_b64decode(cursor[3:] + "=" * (-len(cursor[3:]) % 4)).decode()
        positions = {}
        for item in filter(None, text.split(";")):
            ws, _, seq = item.partition("=")
            positions[ws] = int(seq)
        return positions
    except (ValueError, UnicodeDecodeError):
        return None


@dataclass
class StreamOptions:
    mentions_only: bool = False
    transport: Transport = "auto"
    #: seconds without any frame before the client sends `{"type": "ping"}`
    ping_interval: float = 20.0
    #: seconds to wait for any frame after a ping before the connection counts as dead
    pong_timeout: float = 10.0
    #: seconds a long-poll waits on the server (0..60)
    poll_wait: int = 25
    #: reconnect backoff: first delay and cap (jittered exponential)
    reconnect_initial: float = 0.25
    reconnect_max: float = 15.0
    #: consecutive failed (re)connections before giving up; None = never give up
    max_reconnect_attempts: int | None = None
    open_timeout: float = 10.0
    #: called with the stream's cursor each time a connection (or the first poll) is up
    on_ready: Callable[[str | None], Any] | None = None


class StreamCore:
    """The state of one logical stream across any number of connections."""

    def __init__(self, cursor: str | None, options: StreamOptions,
                 on_resume_failed: ResumeFailedCallback | None) -> None:
        self.options = options
        self.on_resume_failed = on_resume_failed
        #: the cursor of the last event handed to the caller (or where the stream started)
        self.delivered_cursor: str | None = cursor
        #: the cursor of the last event received (resume from here: what is queued is not lost)
        self.wire_cursor: str | None = cursor
        self.pending: collections.deque[Event | ResumeFailedError] = collections.deque()
        self._high: dict[str, int] = cursor_positions(cursor) or {}
        self._recent: collections.OrderedDict[str, None] = collections.OrderedDict()
        self._resume_failed = False
        self._failed_from: str | None = None
        self.failures = 0
        self.principal_id: str | None = None
        #: a connection (or the first poll) has come up at least once
        self.started_once = False
        self.connections = 0

    # -- connecting -------------------------------------------------------------------------

    def auth_frame(self, token: str) -> str:
        frame: dict[str, Any] = {"type": "auth", "token": token}
        if self.wire_cursor:
            frame["resume_from"] = self.wire_cursor
        if self.options.mentions_only:
            frame["mentions_only"] = True
        return json.dumps(frame)

    def reconnect_delay(self) -> float:
        """The wait before the next connection attempt (after `failures` failures in a row)."""
        if self.failures == 0:
            return 0.0
        ceiling = min(self.options.reconnect_max, self.options.reconnect_initial * 2 ** (self.failures - 1))
        return random.uniform(ceiling / 2, ceiling)

    def note_failure(self, error: BaseException | None = None) -> None:
        self.failures += 1
        limit = self.options.max_reconnect_attempts
        if limit is not None and self.failures > limit:
            if isinstance(error, ConclaveError):
                raise error
            raise ConclaveError(f"event stream gave up after {self.failures - 1} reconnections: {error}") from error

    # -- frames ------------------------------------------------------------------------------

    def on_frame(self, raw: str | bytes) -> str | None:
        """Handles one server frame; returns its type."""
        try:
            frame = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(frame, dict):
            return None
        kind = frame.get("type")
        if kind == "event":
            self.offer(frame)
        elif kind == "resume_failed":
            self.mark_resume_failed()
        elif kind == "ready":
            self.principal_id = frame.get("principal_id")
            self.failures = 0
            self.started(frame.get("cursor"))
        return kind

    def mark_resume_failed(self) -> None:
        """The server cannot resume from `wire_cursor`; the next start reports it."""
        if not self._resume_failed:
            self._resume_failed = True
            self._failed_from = self.wire_cursor

    def started(self, cursor: str | None) -> None:
        """A connection (or first poll) is up at `cursor`."""
        self.started_once = True
        self.connections += 1
        if self._resume_failed:
            self.restart_at(cursor)
        elif self.wire_cursor is None:
            self.wire_cursor = cursor
            if self.delivered_cursor is None:
                self.delivered_cursor = cursor
            self._high.update(cursor_positions(cursor) or {})
        if self.options.on_ready is not None:
            self.options.on_ready(self.delivered_cursor)

    def restart_at(self, cursor: str | None) -> None:
        """The old cursor could not be resumed: the stream goes on from `cursor` (the present)."""
        previous = self._failed_from
        self._resume_failed = False
        self.wire_cursor = cursor
        self._high = cursor_positions(cursor) or {}
        self._recent.clear()
        self.pending.append(ResumeFailedError(
            "the event stream could not resume from its cursor; events since then were missed: refetch "
            "them with the REST API", cursor=cursor, previous_cursor=previous))

    def offer(self, frame: dict[str, Any] | Event) -> None:
        event = frame if isinstance(frame, Event) else parse_event(frame)
        if event.ephemeral:
            # Not in the log: no position of its own to deduplicate by, and never replayed.
            self.pending.append(event)
            return
        if self._seen(event):
            return
        self.wire_cursor = event.cursor
        self.pending.append(event)

    def _seen(self, event: Event) -> bool:
        position = (cursor_positions(event.cursor) or {}).get(event.workspace_id)
        if position is not None:
            if position <= self._high.get(event.workspace_id, -1):
                return True
            self._high[event.workspace_id] = position
            return False
        if event.cursor in self._recent:
            return True
        self._recent[event.cursor] = None
        if len(self._recent) > 10_000:
            self._recent.popitem(last=False)
        return False

    # -- long-poll ---------------------------------------------------------------------------

    def poll_request(self) -> dict[str, Any]:
        """The arguments of the next `events.poll` (the first one returns at once, with a cursor)."""
        wait = self.options.poll_wait if self.wire_cursor and self.started_once else 0
        return {"after": self.wire_cursor, "wait": wait, "mentions_only": self.options.mentions_only}

    def on_poll_answer(self, batch: Any) -> None:
        if not self.started_once or self.failures or self._resume_failed:
            self.started(batch.cursor)  # the long-poll counterpart of `ready`
        self.failures = 0
        for event in batch.events:
            self.offer(event)
        self.wire_cursor = batch.cursor
        if not self.pending:
            self.delivered_cursor = batch.cursor

    def on_poll_failure(self, error: ConclaveError) -> None:
        """410 (or 422 for a cursor that is not this server's): start again from now and report
        it; connection failures and 429/5xx: back off and poll again; anything else is raised."""
        if isinstance(error, (GoneError, ValidationError)) and self.wire_cursor:
            self.mark_resume_failed()
            self.wire_cursor = None
        elif isinstance(error, (ConnectionError, RateLimitError, ServerError)):
            self.note_failure(error)
        else:
            raise error

    # -- WebSocket closes --------------------------------------------------------------------

    def on_socket_closed(self, code: int | None, reason: str) -> ConclaveError | None:
        """The error to raise for a close that reconnecting cannot fix; otherwise counts the
        failure (the next connection waits for the backoff) and returns None."""
        fatal = close_error(code, reason)
        if fatal is None:
            self.note_failure(ConnectionError(f"event stream closed ({code} {reason})".strip()))
        return fatal

    # -- handing events out ------------------------------------------------------------------

    def take(self) -> Event | None:
        """The next queued event for the caller (None when the queue is empty). A failed resume
        is reported here: to the callback, or raised."""
        while self.pending:
            item = self.pending.popleft()
            if isinstance(item, ResumeFailedError):
                self.delivered_cursor = item.cursor
                if self.on_resume_failed is None:
                    raise item
                self.on_resume_failed(item)
                continue
            self.delivered_cursor = item.cursor
            return item
        return None


class StreamHandle:
    """What the sync and async streams hold: the client, the core, the transport in use."""

    def __init__(self, client: Any, *, cursor: str | None, options: StreamOptions,
                 on_resume_failed: ResumeFailedCallback | None) -> None:
        self._client = client
        self._core = StreamCore(cursor, options, on_resume_failed)
        self._transport: Transport = options.transport
        self._ws: Any = None
        self._closed = False

    @property
    def cursor(self) -> str | None:
        """Where the caller stands: the cursor of the last event iterated (persist it)."""
        return self._core.delivered_cursor

    @property
    def transport(self) -> str:
        """`websocket` or `longpoll` (what `auto` settled on)."""
        return "longpoll" if self._transport == "longpoll" else "websocket"

    @property
    def connections(self) -> int:
        """How many times the stream has come up (1 + the reconnections)."""
        return self._core.connections

    def _fall_back(self, status: int) -> bool:
        """When the WebSocket handshake is answered with an HTTP status (a proxy that refuses
        upgrades, say): whether to switch to long-poll (`auto` only). A connection that merely
        fails, or is answered 429 or 5xx, is retried instead."""
        if self._transport == "auto" and status != 429 and status < 500:
            self._transport = "longpoll"
            return True
        return False


def close_error(code: int | None, reason: str) -> ConclaveError | None:
    """The error to raise for a close code that reconnecting cannot fix (None: reconnect)."""
    if code == CLOSE_UNAUTHORIZED:
        return AuthenticationError(f"event stream closed: not authenticated ({reason or code})", status=401)
    if code == CLOSE_PAUSED:
        return LockedError(f"event stream closed: the agent is paused ({reason or code})", status=423)
    if code == 1008:
        return PermissionDeniedError(f"event stream closed: policy violation ({reason or code})", status=403)
    return None


def close_info(closed: Any) -> tuple[int | None, str]:
    """(code, reason) the server closed with, from a `websockets` ConnectionClosed."""
    rcvd = getattr(closed, "rcvd", None)
    return (rcvd.code, rcvd.reason) if rcvd is not None else (None, "")
