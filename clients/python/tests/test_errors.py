"""Typed errors: the class follows the status, and each carries the problem and the request id."""

from __future__ import annotations

import re

import pytest

from conclave import (AuthenticationError, BadRequestError, Conclave, ConclaveError, ConflictError, LockedError,
                      LoopBudgetExhaustedError, NotFoundError, PermissionDeniedError, RateLimitError, ValidationError)
from conftest import make_agent, make_channel, unique

REQUEST_ID = re.compile(r"^req_[A-Za-z0-9]{10,40}$")


def check(error: ConclaveError, status: int, slug: str) -> None:
    assert error.status == status, error
    assert error.type == f"https://conclave.dev/problems/{slug}", error.type
    assert error.title and isinstance(error.detail, str), error
    assert error.request_id and REQUEST_ID.match(error.request_id), error.request_id
    assert error.request_id in str(error), str(error)


def test_not_found_and_bad_request(client):
    with pytest.raises(NotFoundError) as info:
        client.channels.get("ch_" + "A" * 20)
    check(info.value, 404, "not-found")
    with pytest.raises(BadRequestError) as info:
        client.channels.get("not-an-id")
    check(info.value, 400, "bad-request")


def test_validation_error_names_the_fields(client, ws):
    with pytest.raises(ValidationError) as info:
        client.channels.create(ws, "Not A Valid Name!")
    check(info.value, 422, "validation-failed")
    assert [e.field for e in info.value.errors] == ["name"], info.value.errors
    assert "name" in str(info.value)


def test_authentication_and_permission(client, server, ws):
    with Conclave("ck_" + "x" * 49, base_url=server.base_url, max_retries=0) as stranger:
        with pytest.raises(AuthenticationError) as info:
            stranger.me()
    check(info.value, 401, "unauthorized")

    agent, key = make_agent(client, ws, ["messages:read", "channels:read"])
    channel = make_channel(client, ws, agent.id)
    with Conclave(key, base_url=server.base_url) as reader:
        with pytest.raises(PermissionDeniedError) as info:
            reader.messages.send(channel.id, "not allowed")
    check(info.value, 403, "forbidden")
    assert "messages:write" in (info.value.detail or ""), info.value.detail

    client.agents.pause(ws, agent.id)
    with Conclave(key, base_url=server.base_url) as paused:
        with pytest.raises(LockedError) as info:
            paused.me()
    check(info.value, 423, "locked")


def test_conflict(client, ws):
    name = unique("taken")
    client.channels.create(ws, name)
    with pytest.raises(ConflictError) as info:
        client.channels.create(ws, name)
    check(info.value, 409, "conflict")
    assert isinstance(info.value, ConclaveError)


def test_an_exhausted_loop_budget_is_its_own_error_and_is_not_retried(client, server):
    ws = client.workspaces.create(unique("loops")).id
    assert client.workspaces.get(ws).loop_budget == 20
    assert client.workspaces.update(ws, loop_budget=1).loop_budget == 1
    agent, key = make_agent(client, ws)
    channel = make_channel(client, ws, agent.id)
    start = client.messages.send(channel.id, "go on")
    assert start.provenance is not None and start.provenance.kind == "human" and start.provenance.hops == 0
    with Conclave(key, base_url=server.base_url, max_retries=3) as bot:
        first = bot.messages.send(channel.id, "one")
        assert first.provenance is not None and first.provenance.hops == 1 and first.provenance.trigger_id == start.id
        assert first.provenance.key_id and first.provenance.key_id.startswith("key_")
        with pytest.raises(LoopBudgetExhaustedError) as info:
            bot.messages.send(channel.id, "two")
    assert isinstance(info.value, RateLimitError) and info.value.retry_after is None
    check(info.value, 429, "loop-budget-exhausted")
    assert [m.id for m in client.messages.list(channel.id)] == [start.id, first.id]
