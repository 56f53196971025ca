"""Strict bodies (contract v1.1): a JSON body field the operation does not define is a 422 naming
the field, and nothing is written. LLM-written tool calls send `threadId` for `thread_id` often;
silently ignoring it posts to the channel instead of the thread."""

from __future__ import annotations

import uuid

from conftest import create_owner
from helpers_messaging import API, create_channel_ok, list_channels, list_messages, post_ok


def unknown_fields(r) -> list[str]:
    assert r.status_code == 422, f"expected 422, got {r.status_code} {r.text}"
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers["content-type"]
    errors = r.json().get("errors", [])
    assert all(e.get("message") == "unknown field" for e in errors), errors
    return [e["field"] for e in errors]


def test_a_misspelt_thread_id_is_refused_and_nothing_is_posted(server):
    owner = create_owner(server, f"strict-{uuid.uuid4().hex[:8]}@example.com", "Strict")
    with server.client() as c:
        ch = create_channel_ok(c, owner["headers"], owner["workspace_id"])["id"]
        root = post_ok(c, owner["headers"], ch, "the root")
        r = c.post(f"{API}/channels/{ch}/messages", headers=owner["headers"],
                   json={"text": "meant for the thread", "threadId": root["id"]})
        assert unknown_fields(r) == ["threadId"]
        texts = [m["text"] for m in list_messages(c, owner["headers"], ch)]
        assert texts == ["the root"], f"a refused body still posted: {texts}"

        # the defined name works, so the refusal is about the name alone
        reply = post_ok(c, owner["headers"], ch, "in the thread", thread_id=root["id"])
        assert reply["thread_id"] == root["id"]


def test_every_unknown_field_is_named_and_null_counts(server):
    owner = create_owner(server, f"strict-{uuid.uuid4().hex[:8]}@example.com", "Strict")
    with server.client() as c:
        before = {ch["id"] for ch in list_channels(c, owner["headers"], owner["workspace_id"])}
        r = c.post(f"{API}/workspaces/{owner['workspace_id']}/channels", headers=owner["headers"],
                   json={"name": "strictly-named", "descripton": None, "Private": True})
        assert unknown_fields(r) == ["Private", "descripton"]
        after = {ch["id"] for ch in list_channels(c, owner["headers"], owner["workspace_id"])}
        assert after == before, "a refused body still created a channel"


def test_unauthenticated_bodies_are_strict_too(server):
    owner = create_owner(server, f"strict-{uuid.uuid4().hex[:8]}@example.com", "Strict")
    with server.client() as c:
        r = c.post(f"{API}/auth/login", json={"email": owner["email"], "password": owner["password"], "remember": True})
        assert unknown_fields(r) == ["remember"]
        assert "set-cookie" not in r.headers and "access_token" not in r.text
        # the same body without the extra field signs in
        r = c.post(f"{API}/auth/login", json={"email": owner["email"], "password": owner["password"]})
        assert r.status_code == 200, r.text


def test_the_refusal_echoes_a_bounded_list_of_bounded_names(server):
    """A client's keys come back in the answer: at most 20, each cut at 64 characters, so a 1 MiB
    body of invented keys cannot make a 1 MiB error."""
    owner = create_owner(server, f"strict-{uuid.uuid4().hex[:8]}@example.com", "Strict")
    with server.client() as c:
        ch = create_channel_ok(c, owner["headers"], owner["workspace_id"])["id"]
        body = {"text": "hi", **{f"k{i:04d}" + "x" * 300: i for i in range(2000)}}
        r = c.post(f"{API}/channels/{ch}/messages", headers=owner["headers"], json=body)
        names = unknown_fields(r)
        assert len(names) == 20 and all(len(n) <= 65 for n in names), names
        assert len(r.content) < 8192, f"{len(r.content)} bytes of error"
        assert list_messages(c, owner["headers"], ch) == []
