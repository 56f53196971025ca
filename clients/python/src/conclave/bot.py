"""`Bot`: answer mentions in a few lines.

    bot = Bot(state_path="bot.cursor")      # CONCLAVE_URL, CONCLAVE_API_KEY from the environment

    @bot.on_mention
    def echo(mention):
        return f"echo: {mention.text}"      # a returned string is posted in the mention's thread

    bot.run()

Each mention is answered once, also across crashes: the stream's cursor is saved to `state_path`
after each event is handled (so a restart goes on from there, missing nothing), and every reply
carries a `client_msg_id` made from the mention's id (so a mention handled again after a crash
between replying and saving returns the reply already posted instead of posting another).
Replies are `kind="notice"` by default: automated output that does not wake other agents, so
two bots cannot mention each other in a loop.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any, Callable

from ._client import Conclave
from .cursor_file import CursorFile
from .errors import ConnectionError, RateLimitError, ResumeFailedError, ServerError
from .events import Event, MessageEvent
from .models.messages import Message

log = logging.getLogger("conclave.bot")

Handler = Callable[["Mention"], Any]

#: failures that mean "try again later", not "this cannot be done"
TRANSIENT = (ConnectionError, ServerError, RateLimitError)


class Mention:
    """A message that mentions the bot, and how to answer it."""

    def __init__(self, bot: "Bot", event: MessageEvent) -> None:
        self.bot = bot
        self.event = event
        self.message: Message = event.data
        self._replies = 0

    @property
    def text(self) -> str:
        return self.message.text or ""

    @property
    def clean_text(self) -> str:
        """The text without the mentions of this bot."""
        me = self.bot.principal_id
        return re.sub(rf"<@{re.escape(me)}>\s*", "", self.text).strip() if me else self.text

    @property
    def sender_id(self) -> str:
        return self.message.sender.id

    @property
    def channel_id(self) -> str:
        return self.message.channel_id

    def reply(self, text: str, **kwargs: Any) -> Message:
        """Posts `text` in the mention's thread (at most once per mention and reply number)."""
        self._replies += 1
        kwargs.setdefault("kind", self.bot.reply_kind)
        kwargs.setdefault("client_msg_id", f"reply:{self.message.id}:{self._replies}")
        return self.bot.client.messages.reply(self.message, text, **kwargs)


class Bot:
    """A mention-answering agent over `client.events.listen()`.

    `api_key`/`base_url` (or CONCLAVE_API_KEY/CONCLAVE_URL), or a ready `client`. `state_path`:
    the file the cursor is kept in (without it, a restart starts from the present).
    `reply_kind`: `notice` (default) or `message`. Other keyword arguments go to
    `events.listen()` (e.g. `transport="longpoll"`)."""

    def __init__(self, api_key: str | None = None, *, base_url: str | None = None, state_path: str | None = None,
                 client: Conclave | None = None, reply_kind: str = "notice", **listen_options: Any) -> None:
        self.client = client or Conclave(api_key, base_url=base_url)
        self.state = CursorFile(state_path) if state_path else None
        self.reply_kind = reply_kind
        self.listen_options = listen_options
        self.principal_id: str | None = None
        self._mention_handlers: list[Handler] = []
        self._event_handlers: list[tuple[str | None, Callable[[Event], Any]]] = []
        self._stream: Any = None
        self._stopped = False

    def on_mention(self, handler: Handler) -> Handler:
        """Registers `handler(mention)`; a string it returns is posted as the reply."""
        self._mention_handlers.append(handler)
        return handler

    def on_event(self, name: str | None = None) -> Callable[[Callable[[Event], Any]], Callable[[Event], Any]]:
        """Registers `handler(event)` for events named `name` (every event when None). A bot with
        event handlers listens to everything, not only to its mentions."""
        def register(handler: Callable[[Event], Any]) -> Callable[[Event], Any]:
            self._event_handlers.append((name, handler))
            return handler
        return register

    def run(self) -> None:
        """Answers mentions until `stop()` (or Ctrl-C)."""
        self.principal_id = self.client.me().id
        cursor = self.state.load() if self.state else None
        mentions_only = not self._event_handlers
        self._stream = self.client.events.listen(cursor=cursor, mentions_only=mentions_only,
                                                 on_resume_failed=self._resume_failed, on_ready=self._ready,
                                                 **self.listen_options)
        try:
            for event in self._stream:
                self._handle(event)
                self._save()
                if self._stopped:
                    break
        except KeyboardInterrupt:
            pass
        finally:
            self._stream.close()

    def stop(self) -> None:
        """Stops `run()` after the event being handled."""
        self._stopped = True

    def _ready(self, cursor: str | None) -> None:
        # saved at once, so that a bot killed before its first event still goes on from here
        log.info("conclave bot %s listening", self.principal_id)
        if self.state:
            self.state.save(cursor)

    def _save(self) -> None:
        if self.state and self._stream is not None:
            self.state.save(self._stream.cursor)

    def _resume_failed(self, error: ResumeFailedError) -> None:
        log.warning("conclave bot: could not resume from the saved cursor; mentions since then were missed")
        if self.state:
            self.state.save(error.cursor)  # the old one would fail again at the next start

    def _handle(self, event: Event) -> None:
        """Dispatches `event`, again and again while the server cannot be reached (replies are
        idempotent, so redoing an event never answers twice); the cursor moves on only after."""
        failures = 0
        while True:
            try:
                self._dispatch(event)
                return
            except TRANSIENT as exc:
                failures += 1
                delay = min(30.0, 0.5 * 2 ** min(failures, 6))
                log.warning("conclave bot: %s; handling the event again in %.1fs", exc, delay)
                time.sleep(delay)

    def _dispatch(self, event: Event) -> None:
        for name, handler in self._event_handlers:
            if name is None or name == event.event:
                self._call(handler, event)
        if (isinstance(event, MessageEvent) and event.event == "message.created" and event.mentioned
                and event.data.sender.id != self.principal_id):
            mention = Mention(self, event)
            for handler in self._mention_handlers:
                answer = self._call(handler, mention)
                if isinstance(answer, str) and answer:
                    mention.reply(answer)

    def _call(self, handler: Callable[[Any], Any], arg: Any) -> Any:
        try:
            return handler(arg)
        except TRANSIENT:
            raise
        except Exception:  # noqa: BLE001 - one failing handler must not stop the bot
            log.exception("conclave bot: handler %s failed", getattr(handler, "__name__", handler))
            return None
