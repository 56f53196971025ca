"""Auto-pagination: lists longer than a page (and than the 200-item page maximum) come whole."""

from __future__ import annotations

import pytest

from conclave import Page
from conftest import make_channel, unique

TOTAL = 230


@pytest.fixture(scope="module")
def long_channel(server, owner):
    from conclave import Conclave

    with Conclave(base_url=server.base_url) as c:
        c.auth.login(owner["email"], owner["password"])
        channel = make_channel(c, owner["workspace_id"])
        for i in range(1, TOTAL + 1):
            c.messages.send(channel.id, f"n{i}")
    return channel


def test_messages_every_page_in_order(client, long_channel):
    pages = list(client.messages.list(long_channel.id).pages())
    assert len(pages) == 5 and all(isinstance(p, Page) for p in pages)  # the server's default page: 50
    assert [m.seq for p in pages for m in p.data] == list(range(1, TOTAL + 1))
    assert [m.text for m in client.messages.list(long_channel.id, limit=200)] == [f"n{i}" for i in range(1, TOTAL + 1)]


def test_messages_after_and_before_seq(client, long_channel):
    assert [m.seq for m in client.messages.list(long_channel.id, after_seq=20, limit=7)] == list(range(21, TOTAL + 1))
    backwards = list(client.messages.list(long_channel.id, before_seq=211, limit=100).pages())
    # before_seq alone pages backwards (each page ascending): 111..210, 11..110, 1..10
    assert [(p.data[0].seq, p.data[-1].seq) for p in backwards] == [(111, 210), (11, 110), (1, 10)]
    assert [m.seq for m in client.messages.list(long_channel.id, after_seq=100, before_seq=106)] == list(range(101, 106))


def test_other_lists_follow_cursors(client, ws):
    made = {client.channels.create(ws, unique("page")).id for _ in range(12)}
    listed = [c.id for c in client.channels.list(ws, limit=5)]
    assert made <= set(listed) and len(listed) == len(set(listed))
    for i in range(6):
        client.agents.create(ws, unique(f"agent{i}"))
    agents = list(client.agents.list(ws, limit=4))
    assert len(agents) >= 6 and len({a.id for a in agents}) == len(agents)
    members = list(client.members.list(ws, limit=3))
    assert {m.id for m in members} >= {a.id for a in agents}
    entries = list(client.audit.list(ws, limit=3))
    assert [e.seq for e in entries] == sorted({e.seq for e in entries}) and len(entries) > 3
