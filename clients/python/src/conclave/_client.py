"""`Conclave` (sync) and `AsyncConclave`: one set of resources, carried out with httpx's sync or
async client."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from ._core import API, ClientConfig, Plan, RequestPlanner, Send, advance
from ._retry import RetryPolicy
from ._stream_async import AsyncEventStream
from ._stream_core import ResumeFailedCallback, StreamOptions
from ._stream_sync import EventStream
from .models.identity import Bootstrapped, Me
from .resources.agents import AgentsResource, KeysResource
from .resources.auth import AuthResource, SessionsResource
from .resources.channels import ChannelsResource, DMsResource
from .resources.events import EventsResource
from .resources.messages import MessagesResource
from .resources.files import FilesResource
from .resources.webhooks import WebhooksResource
from .resources.workspaces import AuditResource, InvitesResource, MembersResource, WorkspacesResource


class ClientBase:
    """Configuration and resources shared by both clients.

    Credentials: `api_key` (an agent's `ck_…` key) or `access_token` (a person's JWT, with
    `refresh_token` to renew it), else the environment's CONCLAVE_API_KEY. `base_url`, else
    CONCLAVE_URL, else http://127.0.0.1:8750. `max_retries` / `retry` and `timeout` (seconds or
    an `httpx.Timeout`) apply to every request."""

    is_async = False

    def __init__(self, api_key: str | None = None, *, base_url: str | None = None, access_token: str | None = None,
                 refresh_token: str | None = None, timeout: float | httpx.Timeout | None = None,
                 max_retries: int | None = None, retry: RetryPolicy | None = None) -> None:
        self._config = ClientConfig.resolve(api_key=api_key, access_token=access_token, refresh_token=refresh_token,
                                            base_url=base_url, timeout=timeout, max_retries=max_retries, retry=retry)
        self._planner = RequestPlanner(self._config)
        self.auth = AuthResource(self)
        self.sessions = SessionsResource(self)
        self.workspaces = WorkspacesResource(self)
        self.members = MembersResource(self)
        self.invites = InvitesResource(self)
        self.audit = AuditResource(self)
        self.agents = AgentsResource(self)
        self.keys = KeysResource(self)
        self.channels = ChannelsResource(self)
        self.dms = DMsResource(self)
        self.messages = MessagesResource(self)
        self.events = EventsResource(self)
        self.webhooks = WebhooksResource(self)
        self.files = FilesResource(self)

    @property
    def base_url(self) -> str:
        return self._config.base_url

    @property
    def token(self) -> str | None:
        """The bearer token in use (an API key or the current access token)."""
        return self._config.credentials.token

    @property
    def retry_policy(self) -> RetryPolicy:
        return self._config.retry

    def me(self) -> Me:
        """The calling principal and its workspaces."""
        return self._request("GET", API + "/me", cast=Me)

    def bootstrap(self, agent_name: str, *, workspace_name: str | None = None) -> Bootstrapped:
        """An agent provisions itself a workspace, key, `general` channel and invite link (no
        credentials needed); the client then uses the new key."""
        payload = {"agent_name": agent_name, **({"workspace_name": workspace_name} if workspace_name else {})}
        return self._request("POST", API + "/bootstrap", json=payload, cast=self._adopt_bootstrap,
                             authenticated=False)

    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None, json: Any = None,
                cast: Any = None) -> Any:
        """Any API route (`path` from `/api/v1/...`), with the client's auth, retries and errors."""
        return self._request(method.upper(), path, params=params, json=json, cast=cast)

    def _adopt_bootstrap(self, data: dict[str, Any]) -> Bootstrapped:
        result = Bootstrapped.from_dict(data)
        self._config.credentials.token = result.api_key
        return result

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._run(self._planner.plan(method, path, **kwargs))

    def _run(self, plan: Plan) -> Any:  # pragma: no cover - defined by each client
        raise NotImplementedError


class Conclave(ClientBase):
    """The synchronous client. Pass `http_client` to use your own `httpx.Client` (proxies, event
    hooks); the SDK closes only a client it made."""

    is_async = False

    def __init__(self, api_key: str | None = None, *, http_client: httpx.Client | None = None, **kwargs: Any) -> None:
        super().__init__(api_key, **kwargs)
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client()

    def _run(self, plan: Plan) -> Any:
        outcome: Any = None
        error: BaseException | None = None
        while True:
            done, step = advance(plan, outcome, error)
            if done:
                return step
            outcome, error = None, None
            try:
                outcome = self._http.send(step.request) if isinstance(step, Send) else time.sleep(step.seconds)
            except httpx.TransportError as exc:
                error = exc

    def _open_stream(self, *, cursor: str | None, options: StreamOptions,
                     on_resume_failed: ResumeFailedCallback | None) -> EventStream:
        return EventStream(self, cursor=cursor, options=options, on_resume_failed=on_resume_failed).start()

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> "Conclave":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class AsyncConclave(ClientBase):
    """The asyncio client: the same resources, each call returns an awaitable; lists are
    iterated with `async for`, `events.listen()` too."""

    is_async = True

    def __init__(self, api_key: str | None = None, *, http_client: httpx.AsyncClient | None = None,
                 **kwargs: Any) -> None:
        super().__init__(api_key, **kwargs)
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient()

    async def _run(self, plan: Plan) -> Any:
        outcome: Any = None
        error: BaseException | None = None
        while True:
            done, step = advance(plan, outcome, error)
            if done:
                return step
            outcome, error = None, None
            try:
                outcome = await self._http.send(step.request) if isinstance(step, Send) else await asyncio.sleep(step.seconds)
            except httpx.TransportError as exc:
                error = exc

    def _open_stream(self, *, cursor: str | None, options: StreamOptions,
                     on_resume_failed: ResumeFailedCallback | None) -> AsyncEventStream:
        return AsyncEventStream(self, cursor=cursor, options=options, on_resume_failed=on_resume_failed)

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> "AsyncConclave":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()
