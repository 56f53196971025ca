"""Retries: a real 429 is waited out for its Retry-After; a POST whose answer was lost is retried
with the same Idempotency-Key and posts once; connection failures and timeouts are retried and
then raised as typed errors."""

from __future__ import annotations

import socket
import time

import httpx
import pytest

from conclave import Conclave, ConnectionError, RateLimitError, RetryPolicy, ServerError, TimeoutError
from conftest import SERVER_ENV, harness, make_channel
from http_proxy import HttpProxy


class Recorder:
    """httpx event hooks: every attempt the SDK made, with its answer and when."""

    def __init__(self) -> None:
        self.attempts: list[tuple[str, str | None]] = []  # (method path, Idempotency-Key)
        self.answers: list[tuple[int, float, httpx.Headers]] = []

    def hooks(self) -> dict:
        return {"request": [self._request], "response": [self._response]}

    def _request(self, request: httpx.Request) -> None:
        self.attempts.append((f"{request.method} {request.url.path}", request.headers.get("idempotency-key")))

    def _response(self, response: httpx.Response) -> None:
        self.answers.append((response.status_code, time.monotonic(), response.headers))


def owner_client(server, owner, **kwargs) -> Conclave:
    c = Conclave(base_url=kwargs.pop("base_url", server.base_url), **kwargs)
    c.auth.login(owner["email"], owner["password"])
    return c


def test_real_429_is_retried_after_retry_after(make_server):
    server = make_server(env={**SERVER_ENV, "CONCLAVE_RATE_LIMITS": SERVER_ENV["CONCLAVE_RATE_LIMITS"]
                              .replace("send=100000/1m:100000", "send=1/2s:1")})
    owner = harness.create_owner(server)
    rec = Recorder()
    with owner_client(server, owner, http_client=httpx.Client(event_hooks=rec.hooks())) as c:
        channel = make_channel(c, owner["workspace_id"])
        c.messages.send(channel.id, "first")
        rec.attempts.clear(), rec.answers.clear()
        second = c.messages.send(channel.id, "second")  # over the limit: 429, wait, retry
        assert second.seq == 2
        statuses = [a[0] for a in rec.answers]
        assert statuses[0] == 429 and statuses[-1] == 201 and set(statuses[1:-1]) <= {429}, statuses
        retry_after = float(rec.answers[0][2]["retry-after"])
        assert retry_after >= 1
        assert rec.answers[1][1] - rec.answers[0][1] >= retry_after, "retried before Retry-After"
        keys = {key for _, key in rec.attempts}
        assert len(keys) == 1 and None not in keys, f"one Idempotency-Key across the retries: {rec.attempts}"

        # without retries the 429 is raised, typed, with its Retry-After
        c.retry_policy.max_retries = 0
        with pytest.raises(RateLimitError) as info:
            for i in range(3):
                c.messages.send(channel.id, f"burst {i}")
        assert info.value.status == 429 and info.value.retry_after and info.value.retry_after >= 1
        assert info.value.request_id


def test_post_whose_answer_is_lost_is_retried_with_the_same_key_and_posts_once(server, owner):
    lost = []

    def lose_first_post(req):
        if req.method == "POST" and req.path.endswith("/messages") and not lost:
            lost.append(req)
            return "drop"
        return "forward"

    proxy = HttpProxy(server.host, server.port, lose_first_post)
    rec = Recorder()
    try:
        with owner_client(server, owner, base_url=proxy.base_url,
                          http_client=httpx.Client(event_hooks=rec.hooks())) as c:
            channel = make_channel(c, owner["workspace_id"])
            message = c.messages.send(channel.id, "exactly once please")
            posts = proxy.requests("POST", "/messages")
            assert [p.action for p in posts] == ["drop", "forward"], posts
            assert posts[0].status == 201, "the first attempt reached the server and posted"
            key = posts[0].headers.get("idempotency-key")
            assert key and posts[1].headers.get("idempotency-key") == key, posts
            assert posts[1].response_headers.get("idempotent-replayed") == "true", posts[1].response_headers
            assert [m.id for m in c.messages.list(channel.id)] == [message.id]

            # a fresh logical POST gets a fresh key
            c.messages.send(channel.id, "another")
            assert proxy.requests("POST", "/messages")[-1].headers.get("idempotency-key") != key
    finally:
        proxy.close()


def test_proxy_503_with_retry_after_is_retried(server, owner):
    failed = []

    def fail_once(req):
        if req.method == "GET" and req.path.startswith("/api/v1/me") and not failed:
            failed.append(req)
            return (b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Type: text/plain\r\n"
                    b"Content-Length: 4\r\n\r\nbusy")
        return "forward"

    proxy = HttpProxy(server.host, server.port, fail_once)
    try:
        with owner_client(server, owner, base_url=proxy.base_url) as c:
            started = time.monotonic()
            assert c.me().email == owner["email"]
            assert time.monotonic() - started >= 1.0
            failed.clear()
            c.retry_policy.max_retries = 0
            with pytest.raises(ServerError) as info:
                c.me()
            assert info.value.status == 503 and info.value.title
    finally:
        proxy.close()


def test_connection_failures_and_timeouts_are_retried_then_raised(server, owner):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    rec = Recorder()
    fast = RetryPolicy(max_retries=2, initial_delay=0.05, max_delay=0.1)
    with Conclave("ck_unused", base_url=f"http://127.0.0.1:{closed_port}", retry=fast,
                  http_client=httpx.Client(event_hooks=rec.hooks())) as c:
        with pytest.raises(ConnectionError):
            c.me()
    assert len(rec.attempts) == 3, rec.attempts

    proxy = HttpProxy(server.host, server.port, lambda req: "forward" if "login" in req.path else b"")
    try:
        with owner_client(server, owner, base_url=proxy.base_url, timeout=0.5, retry=fast) as c:
            with pytest.raises(TimeoutError):
                c.me()  # the proxy never answers
        assert len(proxy.requests("GET", "/api/v1/me")) == 3
    finally:
        proxy.close()
