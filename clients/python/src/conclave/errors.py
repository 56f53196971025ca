"""Typed errors. Every failed API call raises a `ConclaveError` subclass chosen by the HTTP status,
carrying the RFC 9457 problem (`type`, `title`, `detail`, field `errors`) and the `request_id`
(the response's `X-Request-Id`, which also names the request in the server's log)."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import Any, Mapping

import httpx


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class ConclaveError(Exception):
    """Base of every error this SDK raises."""

    status: int | None = None
    type: str | None = None
    title: str | None = None
    detail: str | None = None
    request_id: str | None = None
    errors: list[FieldError] = []

    def __init__(self, message: str, *, status: int | None = None, type: str | None = None,
                 title: str | None = None, detail: str | None = None, request_id: str | None = None,
                 errors: list[FieldError] | None = None, headers: Mapping[str, str] | None = None,
                 body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.type = type
        self.title = title
        self.detail = detail
        self.request_id = request_id
        self.errors = list(errors or [])
        self.headers: Mapping[str, str] = headers or {}
        self.body = body


class APIStatusError(ConclaveError):
    """The server answered with an error status (4xx/5xx)."""


class BadRequestError(APIStatusError):
    """400: malformed request (bad JSON, malformed id or header)."""


class AuthenticationError(APIStatusError):
    """401: missing, invalid, expired or revoked credentials (also a socket closed with 4401)."""


class PermissionDeniedError(APIStatusError):
    """403: authenticated but not allowed (a missing scope is named in `detail`)."""


class NotFoundError(APIStatusError):
    """404: does not exist, or the caller may not see it."""


class ConflictError(APIStatusError):
    """409."""


class GoneError(APIStatusError):
    """410: e.g. a long-poll cursor the server can no longer resume from."""


class ValidationError(APIStatusError):
    """422: well-formed but invalid; `errors` names each bad field."""


class LockedError(APIStatusError):
    """423: the agent is paused (also a socket closed with 4423)."""


class RateLimitError(APIStatusError):
    """429; `retry_after` is the server's `Retry-After` in seconds (None when absent)."""

    retry_after: float | None = None


class LoopBudgetExhaustedError(RateLimitError):
    """429 `…/loop-budget-exhausted` (contract v1.1): the thread already holds the workspace's
    `loop_budget` of agent messages in a row. Never retried: only a person's message in the
    thread lets agents post there again."""

    LOOP_BUDGET_TYPE_SUFFIX = "/loop-budget-exhausted"


class ServerError(APIStatusError):
    """5xx."""


class ConnectionError(ConclaveError, builtins.ConnectionError):  # noqa: A001 - the SDK's own name
    """The server could not be reached, or the connection broke before an answer."""


class TimeoutError(ConnectionError, builtins.TimeoutError):  # noqa: A001
    """The request timed out."""


class ResumeFailedError(ConclaveError):
    """The event stream could not resume from the cursor (too old, or not this server's): events
    were missed and must be refetched with the REST API. The stream itself goes on from the
    present; `cursor` is where it now stands."""

    def __init__(self, message: str, *, cursor: str | None, previous_cursor: str | None) -> None:
        super().__init__(message)
        self.cursor = cursor
        self.previous_cursor = previous_cursor


class WebhookVerificationError(ConclaveError):
    """A webhook delivery's signature, timestamp or headers did not verify."""


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    410: GoneError,
    422: ValidationError,
    423: LockedError,
    429: RateLimitError,
}


def error_class(status: int) -> type[APIStatusError]:
    if status >= 500:
        return ServerError
    return _BY_STATUS.get(status, APIStatusError)


def parse_retry_after(value: str | None) -> float | None:
    """`Retry-After` in seconds (the delta-seconds form; an HTTP date is not used by Conclave)."""
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def from_response(response: httpx.Response) -> APIStatusError:
    """The typed error for an error response (problem+json, or anything else)."""
    status = response.status_code
    body: Any = None
    problem: dict[str, Any] = {}
    try:
        body = response.json()
        if isinstance(body, dict):
            problem = body
    except ValueError:
        body = response.text
    request_id = response.headers.get("x-request-id")
    title = problem.get("title") if isinstance(problem.get("title"), str) else response.reason_phrase
    detail = problem.get("detail") if isinstance(problem.get("detail"), str) else None
    field_errors = [
        FieldError(str(e.get("field", "")), str(e.get("message", "")))
        for e in problem.get("errors") or [] if isinstance(e, dict)
    ]
    message = f"{status} {title}" + (f": {detail}" if detail else "")
    if field_errors:
        message += " (" + "; ".join(f"{e.field}: {e.message}" for e in field_errors) + ")"
    if request_id:
        message += f" [request {request_id}]"
    cls = error_class(status)
    if status == 429 and str(problem.get("type") or "").endswith(LoopBudgetExhaustedError.LOOP_BUDGET_TYPE_SUFFIX):
        cls = LoopBudgetExhaustedError
    err = cls(message, status=status, type=problem.get("type"), title=title, detail=detail,
              request_id=request_id, errors=field_errors, headers=dict(response.headers), body=body)
    if isinstance(err, RateLimitError):
        err.retry_after = parse_retry_after(response.headers.get("retry-after"))
    return err
