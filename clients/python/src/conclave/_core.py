"""The request logic shared by the sync and async clients, written once as a generator.

`RequestPlanner.plan()` yields what to do next (`Send` a request, `Sleep` before a retry) and is
resumed with the outcome; the sync and async clients only carry those steps out. So retries,
`Idempotency-Key`, token refresh and error mapping live in one place.
"""

from __future__ import annotations

import dataclasses
import os
import typing
import uuid
from dataclasses import dataclass, field
from typing import Any, Generator, Mapping, Union

import httpx

from ._version import __version__
from ._retry import RetryPolicy
from .errors import ConclaveError, ConnectionError, TimeoutError, from_response
from .models._base import decode
from .models.identity import TokenPair

DEFAULT_BASE_URL = "http://127.0.0.1:8750"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
API = "/api/v1"


@dataclass
class Send:
    request: httpx.Request


@dataclass
class Sleep:
    seconds: float


Step = Union[Send, Sleep]
Plan = Generator[Step, Any, Any]


@dataclass
class Credentials:
    """The bearer token sent with each request: an API key (`ck_…`) or an access JWT, with the
    refresh token when the client signed in (then a 401 refreshes the pair once and retries)."""

    token: str | None = None
    refresh_token: str | None = None
    session_id: str | None = None

    def adopt(self, pair: TokenPair) -> None:
        self.token = pair.access_token
        if pair.refresh_token:
            self.refresh_token = pair.refresh_token
        self.session_id = pair.session_id


@dataclass
class ClientConfig:
    base_url: str
    timeout: httpx.Timeout
    retry: RetryPolicy
    credentials: Credentials
    default_headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def resolve(cls, *, api_key: str | None, access_token: str | None, refresh_token: str | None,
                base_url: str | None, timeout: float | httpx.Timeout | None, max_retries: int | None,
                retry: RetryPolicy | None) -> "ClientConfig":
        token = access_token or api_key or os.environ.get("CONCLAVE_API_KEY") or None
        url = (base_url or os.environ.get("CONCLAVE_URL") or DEFAULT_BASE_URL).rstrip("/")
        policy = dataclasses.replace(retry) if retry else RetryPolicy()  # a copy: the caller's stays as it is
        if max_retries is not None:
            policy.max_retries = max_retries
        if timeout is None:
            resolved_timeout = DEFAULT_TIMEOUT
        elif isinstance(timeout, httpx.Timeout):
            resolved_timeout = timeout
        else:
            resolved_timeout = httpx.Timeout(timeout)
        return cls(base_url=url, timeout=resolved_timeout, retry=policy,
                   credentials=Credentials(token=token, refresh_token=refresh_token),
                   default_headers={"User-Agent": f"conclave-sdk-python/{__version__}"})

    @property
    def ws_url(self) -> str:
        if self.base_url.startswith("https://"):
            return "wss://" + self.base_url[len("https://"):] + API + "/ws"
        if self.base_url.startswith("http://"):
            return "ws://" + self.base_url[len("http://"):] + API + "/ws"
        return self.base_url + API + "/ws"


class RequestPlanner:
    def __init__(self, config: ClientConfig) -> None:
        self.config = config

    def build(self, method: str, path: str, *, params: Mapping[str, Any] | None = None, json: Any = None,
              headers: Mapping[str, str] | None = None, timeout: float | httpx.Timeout | None = None,
              authenticated: bool = True, content: bytes | None = None) -> httpx.Request:
        all_headers = dict(self.config.default_headers)
        token = self.config.credentials.token
        if authenticated and token:
            all_headers["Authorization"] = f"Bearer {token}"
        all_headers.update(headers or {})
        clean = {k: _query_value(v) for k, v in (params or {}).items() if v is not None}
        t = timeout if timeout is not None else self.config.timeout
        ext = {"timeout": (t if isinstance(t, httpx.Timeout) else httpx.Timeout(t)).as_dict()}
        return httpx.Request(method, self.config.base_url + path, params=clean, json=json, content=content,
                             headers=all_headers, extensions=ext)

    def plan(self, method: str, path: str, *, params: Mapping[str, Any] | None = None, json: Any = None,
             cast: Any = None, timeout: float | httpx.Timeout | None = None,
             idempotency_key: str | None = None, authenticated: bool = True,
             headers: Mapping[str, str] | None = None, content: bytes | None = None) -> Plan:
        """Yields the steps of one logical request; returns its decoded result.

        A POST outside /api/v1/auth/ gets one `Idempotency-Key`, sent unchanged on every retry,
        so a retried POST whose first attempt did reach the server replays that answer instead
        of acting twice. POSTs under /api/v1/auth/ (where the server keeps no such record) are
        not retried after a connection failure: the first attempt may have counted (a refresh
        token used twice revokes its session)."""
        extra = dict(headers or {})
        is_auth_route = path.startswith(API + "/auth/")
        if method == "POST" and authenticated and not is_auth_route:
            extra.setdefault("Idempotency-Key", idempotency_key or f"sdk-{uuid.uuid4()}")
        connection_retry_safe = not (method == "POST" and is_auth_route)
        attempt = 0
        refreshed = False
        while True:
            request = self.build(method, path, params=params, json=json, headers=extra, timeout=timeout,
                                 authenticated=authenticated, content=content)
            failure: ConclaveError
            try:
                response = yield Send(request)
            except httpx.TimeoutException as exc:
                failure = TimeoutError(f"{method} {path} timed out: {exc}")
                failure.__cause__ = exc
            except httpx.TransportError as exc:
                failure = ConnectionError(f"{method} {path}: could not reach {self.config.base_url}: {exc}")
                failure.__cause__ = exc
            else:
                if response.is_success:
                    return _decode_body(response, cast)
                failure = from_response(response)
                if (failure.status == 401 and authenticated and not refreshed and not is_auth_route
                        and self.config.credentials.refresh_token):
                    refreshed = True
                    if (yield from self.refresh()):
                        continue
            delay = self.config.retry.delay_for(failure, attempt, connection_retry_safe=connection_retry_safe)
            if delay is None:
                raise failure
            attempt += 1
            yield Sleep(delay)

    def refresh(self) -> Generator[Step, Any, bool]:
        """Exchanges the refresh token for a new pair (once; no retry, see `plan`)."""
        creds = self.config.credentials
        request = self.build("POST", API + "/auth/refresh", json={"refresh_token": creds.refresh_token},
                             authenticated=False)
        try:
            response = yield Send(request)
        except httpx.TransportError:
            return False
        if not response.is_success:
            return False
        creds.adopt(decode(TokenPair, response.json()))
        return True


def advance(plan: Plan, outcome: Any, error: BaseException | None) -> tuple[bool, Any]:
    """Resumes `plan` with the last step's outcome (or its transport error): (True, result)
    when it is done, else (False, next step)."""
    try:
        step = plan.throw(error) if error is not None else plan.send(outcome)
    except StopIteration as done:
        return True, done.value
    return False, step


def _query_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _decode_body(response: httpx.Response, cast: Any) -> Any:
    if cast is bytes:
        return response.content  # a file's bytes
    if response.status_code == 204 or not response.content:
        return None
    data = response.json()
    if cast is None:
        return data
    if callable(cast) and not isinstance(cast, type) and typing.get_origin(cast) is None:
        return cast(data)  # a decoding function (pages, events, sign-in answers)
    return decode(cast, data)
