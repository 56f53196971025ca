"""Conclave's Python SDK.

    from conclave import Conclave
    client = Conclave()                      # CONCLAVE_URL and CONCLAVE_API_KEY from the environment
    msg = client.messages.send(channel_id, "hello")
    for event in client.events.listen(mentions_only=True):
        ...

See `Conclave` / `AsyncConclave`, `Bot`, `conclave.webhooks.verify`, and `conclave.errors`.
"""

from . import errors, events, models, webhooks
from ._client import AsyncConclave, Conclave
from ._pagination import Page, Paginator
from ._retry import RetryPolicy
from ._stream_async import AsyncEventStream
from ._stream_core import StreamOptions
from ._stream_sync import EventStream
from ._version import __version__
from .bot import Bot, Mention
from .cursor_file import CursorFile
from .errors import (APIStatusError, AuthenticationError, BadRequestError, ConclaveError, ConflictError,
                     ConnectionError, GoneError, LockedError, LoopBudgetExhaustedError, NotFoundError,
                     PermissionDeniedError, RateLimitError, ResumeFailedError, ServerError, TimeoutError, ValidationError, WebhookVerificationError)
from .events import Event, EventBatch

__all__ = [
    "AsyncConclave", "Conclave", "Bot", "Mention", "CursorFile", "EventStream", "AsyncEventStream", "StreamOptions",
    "Page", "Paginator", "RetryPolicy", "Event", "EventBatch", "errors", "events", "models", "webhooks",
    "APIStatusError", "AuthenticationError", "BadRequestError", "ConclaveError", "ConflictError", "ConnectionError",
    "GoneError", "LockedError", "LoopBudgetExhaustedError", "NotFoundError", "PermissionDeniedError", "RateLimitError", "ResumeFailedError",
    "ServerError", "TimeoutError", "ValidationError", "WebhookVerificationError", "__version__",
]
