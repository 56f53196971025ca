"""Provenance and loop budget (contract v1.1, issue 16).

Every message carries `provenance` {kind, key_id?, hops, trigger_id}; a workspace's `loop_budget`
caps `hops`, the agent messages in a row in one thread (the top level is one thread per channel)
since the last human message there. An agent message past the budget is refused 429
`…/loop-budget-exhausted` without `Retry-After`, and nothing is stored; a human message resets the
thread. Everything is driven the way outside clients do it: httpx for REST, two agents' own
WebSockets answering each other for the loop.
"""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import assert_problem
from helpers_agents import audit_entries, bearer, create_agent_ok, create_key_ok
from helpers_identity import create_workspace
from helpers_messaging import (API, add_member_ok, create_channel_ok, is_event, list_messages, open_stream, post, post_ok, uid)
# the module's fixtures
from helpers_messaging import general, server, server_survives, streams, team  # noqa: F401

SCOPES = ["messages:read", "messages:write", "channels:read"]
EXHAUSTED = "/loop-budget-exhausted"


def make_agent(c, owner_headers: dict, ws: str, name: str) -> dict:
    agent = create_agent_ok(c, owner_headers, ws, f"{name} {secrets.token_hex(3)}")
    key = create_key_ok(c, owner_headers, ws, agent["id"], SCOPES)
    return {"id": agent["id"], "key": key["key"], "key_id": key["id"], "headers": bearer(key["key"])}


@pytest.fixture
def loop(server, team) -> dict:
    """A fresh channel of the team's workspace with the owner and two new agents (each its own key)."""
    owner = team["owner"]["headers"]
    with server.client() as c:
        ch = create_channel_ok(c, owner, team["ws"])
        alpha = make_agent(c, owner, team["ws"], "Alpha")
        beta = make_agent(c, owner, team["ws"], "Beta")
        for agent in (alpha, beta):
            add_member_ok(c, owner, ch["id"], agent["id"])
    return {"ch": ch["id"], "alpha": alpha, "beta": beta, "owner": owner, "ws": team["ws"]}


def set_budget(c, headers: dict, ws: str, budget):
    return c.patch(f"{API}/workspaces/{ws}", json={"loop_budget": budget}, headers=headers)


def set_budget_ok(c, headers: dict, ws: str, budget: int) -> dict:
    r = set_budget(c, headers, ws, budget)
    assert r.status_code == 200, f"PATCH loop_budget={budget}: {r.status_code} {r.text}"
    assert r.json()["loop_budget"] == budget, r.json()
    return r.json()


def assert_exhausted(r) -> dict:
    body = assert_problem(r, 429)
    assert body["type"].endswith(EXHAUSTED), body
    assert "retry-after" not in {k.lower() for k in r.headers.keys()}, dict(r.headers)
    return body


def agent_provenance(message: dict, agent: dict, hops: int, trigger: str | None) -> None:
    assert message["provenance"] == {"kind": "agent", "key_id": agent["key_id"], "hops": hops, "trigger_id": trigger}, message


def human_provenance(message: dict) -> None:
    assert message["provenance"] == {"kind": "human", "hops": 0, "trigger_id": None}, message


def ws_send(stream, ch: str, text: str, **extra) -> dict:
    """Sends over the agent's socket; returns its ack or error frame."""
    cid = "c-" + secrets.token_hex(6)
    stream.send({"type": "send", "channel_id": ch, "text": text, "client_msg_id": cid, **extra})
    return stream.wait_for(lambda f: f.get("type") in ("ack", "error") and f.get("client_msg_id") == cid, 10, f"answer to {cid}")


def test_two_agents_answering_each_other_stop_at_the_budget_and_a_human_resets_it(server, loop, streams):
    budget = 6
    with server.client() as c:
        set_budget_ok(c, loop["owner"], loop["ws"], budget)
        agents = [loop["alpha"], loop["beta"]]
        socks = {}
        for agent in agents:
            stream, _, _ = open_stream(server, agent["key"])
            streams(stream)
            socks[agent["id"]] = stream
        start = post_ok(c, loop["owner"], loop["ch"], "Alpha and Beta, discuss among yourselves")
        human_provenance(start)

        # The loop: each agent answers every message of the other (the first answers the person).
        sent, refused = [], None
        last, speaker = start, 0
        for _ in range(budget + 5):
            agent = agents[speaker]
            stream = socks[agent["id"]]
            stream.wait_for(is_event("message.created", id=last["id"]), 10, f"{agent['id']} sees {last['id']}")
            answer = ws_send(stream, loop["ch"], f"reply to {last['id']}")
            if answer["type"] == "error":
                refused = answer
                break
            last = answer["message"]
            sent.append(last)
            speaker = 1 - speaker
        assert refused is not None, f"the agents were never stopped: {len(sent)} messages"
        assert refused["status"] == 429, refused
        assert len(sent) == budget, [m["provenance"] for m in sent]
        for hops, message in enumerate(sent, start=1):
            agent_provenance(message, agents[(hops - 1) % 2], hops, start["id"])

        # The refusal over the socket is audited (once), naming the agent and its address.
        audited = refusals(c, loop)
        assert len(audited) == 1, audited
        assert audited[0]["actor"]["id"] == agents[speaker]["id"] and audited[0]["actor"]["ip"], audited[0]

        # Over REST too, and whichever agent tries; nothing is stored.
        for agent in agents:
            assert_exhausted(post(c, agent["headers"], loop["ch"], "one more"))
        stored = list_messages(c, loop["owner"], loop["ch"])
        assert [m["id"] for m in stored] == [start["id"]] + [m["id"] for m in sent]
        assert [m["seq"] for m in stored] == list(range(stored[0]["seq"], stored[0]["seq"] + budget + 1)), "a refused send used a seq"

        # A person speaks: the run starts over from their message.
        again = post_ok(c, loop["owner"], loop["ch"], "carry on")
        human_provenance(again)
        answer = ws_send(socks[loop["alpha"]["id"]], loop["ch"], "thanks")
        assert answer["type"] == "ack", answer
        agent_provenance(answer["message"], loop["alpha"], 1, again["id"])


def test_the_top_level_and_each_thread_have_their_own_budget(server, loop):
    budget = 3
    alpha, beta = loop["alpha"], loop["beta"]
    with server.client() as c:
        set_budget_ok(c, loop["owner"], loop["ws"], budget)
        root = post_ok(c, loop["owner"], loop["ch"], "top level")
        for i in range(budget):
            post_ok(c, (alpha, beta)[i % 2]["headers"], loop["ch"], f"top {i}")
        assert_exhausted(post(c, alpha["headers"], loop["ch"], "top over"))

        # The thread under the person's root is a budget of its own, started by the root.
        for i in range(budget):
            agent = (beta, alpha)[i % 2]
            reply = post_ok(c, agent["headers"], loop["ch"], f"thread {i}", thread_id=root["id"])
            agent_provenance(reply, agent, i + 1, root["id"])
        assert_exhausted(post(c, alpha["headers"], loop["ch"], "thread over", thread_id=root["id"]))
        replies = list_messages(c, loop["owner"], loop["ch"], thread_id=root["id"])
        assert len(replies) == 1 + budget, [m["text"] for m in replies]

        # A person in the thread resets the thread only.
        nudge = post_ok(c, loop["owner"], loop["ch"], "in the thread", thread_id=root["id"])
        reply = post_ok(c, beta["headers"], loop["ch"], "thread again", thread_id=root["id"])
        agent_provenance(reply, beta, 1, nudge["id"])
        assert_exhausted(post(c, beta["headers"], loop["ch"], "top still over"))

        # A thread under an agent's message counts that message as the thread's first agent hop.
        agent_root = [m for m in list_messages(c, loop["owner"], loop["ch"]) if m["thread_id"] is None][-1]
        assert agent_root["provenance"]["kind"] == "agent", agent_root
        first = post_ok(c, alpha["headers"], loop["ch"], "under an agent", thread_id=agent_root["id"])
        assert first["provenance"]["hops"] == 2, first


def test_loop_budget_is_shown_and_changed_only_by_admins_within_1_to_1000(server, team):
    owner = team["owner"]["headers"]
    with server.client() as c:
        ws = create_workspace(c, owner, "Budgeted")["id"]
        r = c.get(f"{API}/workspaces/{ws}", headers=owner)
        assert r.status_code == 200 and r.json()["loop_budget"] == 20, r.text
        listed = [w for w in c.get(f"{API}/workspaces", headers=owner, params={"limit": 200}).json()["data"] if w["id"] == ws]
        assert listed and listed[0]["loop_budget"] == 20, listed

        # Team roles, in the team's workspace.
        member = {"Authorization": f"Bearer {team['member']['access_token']}"}
        admin = {"Authorization": f"Bearer {team['admin']['access_token']}"}
        assert_problem(set_budget(c, member, team["ws"], 5), 403)
        bot = make_agent(c, owner, team["ws"], "Budget Bot")
        assert_problem(set_budget(c, bot["headers"], team["ws"], 5), 403)
        for bad in (0, 1001, -1):
            body = assert_problem(set_budget(c, admin, team["ws"], bad), 422)
            assert any(e.get("field") == "loop_budget" for e in body.get("errors", [])), body
        for bad in ("ten", 2.5, None, True):
            r = set_budget(c, admin, team["ws"], bad)
            if bad is None:
                assert r.status_code == 200, r.text  # null means "unchanged"
            else:
                assert 400 <= r.status_code < 500, f"loop_budget={bad!r}: {r.status_code} {r.text}"
        before = c.get(f"{API}/workspaces/{team['ws']}", headers=owner).json()["loop_budget"]
        # A refused value changes nothing, not even a name sent with it.
        r = c.patch(f"{API}/workspaces/{team['ws']}", json={"name": "Renamed?", "loop_budget": 0}, headers=owner)
        assert_problem(r, 422)
        after = c.get(f"{API}/workspaces/{team['ws']}", headers=owner).json()
        assert after["loop_budget"] == before and after["name"] != "Renamed?", after
        set_budget_ok(c, admin, team["ws"], 1)
        set_budget_ok(c, owner, team["ws"], 1000)
        assert c.get(f"{API}/workspaces/{team['ws']}", headers=member).json()["loop_budget"] == 1000
        entries = audit_entries(c, owner, team["ws"], "workspace.updated")
        assert any("loop_budget" in (e.get("details") or {}).get("fields", []) for e in entries), entries
        # Another workspace keeps its own.
        assert c.get(f"{API}/workspaces/{ws}", headers=owner).json()["loop_budget"] == 20


def test_provenance_on_rest_listings_events_and_acks(server, loop, streams):
    alpha = loop["alpha"]
    with server.client() as c:
        set_budget_ok(c, loop["owner"], loop["ws"], 20)
        watcher, _, _ = open_stream(server, loop["owner"]["Authorization"].split()[1])
        streams(watcher)
        bot_stream, _, _ = open_stream(server, alpha["key"])
        streams(bot_stream)

        human = post_ok(c, loop["owner"], loop["ch"], "hello")
        human_provenance(human)
        assert "key_id" not in human["provenance"], human
        rest = post_ok(c, alpha["headers"], loop["ch"], "over REST")
        agent_provenance(rest, alpha, 1, human["id"])
        ack = ws_send(bot_stream, loop["ch"], "over the socket")
        assert ack["type"] == "ack", ack
        agent_provenance(ack["message"], alpha, 2, human["id"])

        for message in (human, rest, ack["message"]):
            event = watcher.wait_for(is_event("message.created", id=message["id"]), 10, f"event of {message['id']}")
            assert event["data"]["provenance"] == message["provenance"], event
        listed = {m["id"]: m for m in list_messages(c, loop["owner"], loop["ch"])}
        for message in (human, rest, ack["message"]):
            assert listed[message["id"]]["provenance"] == message["provenance"], listed[message["id"]]
        # An idempotent repeat answers with the stored message and its provenance unchanged.
        again = post(c, alpha["headers"], loop["ch"], "over REST", client_msg_id="same-1")
        assert again.status_code == 201, again.text
        repeat = post(c, alpha["headers"], loop["ch"], "over REST", client_msg_id="same-1")
        assert repeat.status_code == 200 and repeat.json()["provenance"] == again.json()["provenance"], repeat.text
        assert again.json()["provenance"]["hops"] == 3


def test_concurrent_agent_sends_get_distinct_consecutive_hops(server, loop):
    per_agent = 12
    with server.client() as c:
        set_budget_ok(c, loop["owner"], loop["ws"], 1000)
        human = post_ok(c, loop["owner"], loop["ch"], "go")

    def send(args):
        agent, i = args
        with server.client() as cc:
            return post_ok(cc, agent["headers"], loop["ch"], f"{agent['id']} {i}")

    jobs = [(agent, i) for i in range(per_agent) for agent in (loop["alpha"], loop["beta"])]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(send, jobs))
    hops = sorted(m["provenance"]["hops"] for m in results)
    assert hops == list(range(1, 2 * per_agent + 1)), hops
    assert {m["provenance"]["trigger_id"] for m in results} == {human["id"]}
    by_seq = sorted(results, key=lambda m: m["seq"])
    assert [m["provenance"]["hops"] for m in by_seq] == list(range(1, 2 * per_agent + 1)), "hops do not follow seq"


def test_concurrent_agent_sends_at_the_budget_let_exactly_the_budget_through(server, loop):
    budget = 5
    with server.client() as c:
        set_budget_ok(c, loop["owner"], loop["ws"], budget)
        post_ok(c, loop["owner"], loop["ch"], "go")

    def send(args):
        agent, i = args
        with server.client() as cc:
            return post(cc, agent["headers"], loop["ch"], f"{agent['id']} {i}")

    jobs = [(agent, i) for i in range(6) for agent in (loop["alpha"], loop["beta"])]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(send, jobs))
    assert sorted(r.status_code for r in results) == [201] * budget + [429] * (len(jobs) - budget), [r.status_code for r in results]
    for r in results:
        if r.status_code == 429:
            assert_exhausted(r)
    assert sorted(r.json()["provenance"]["hops"] for r in results if r.status_code == 201) == list(range(1, budget + 1))


def refusals(c, loop) -> list[dict]:
    entries = audit_entries(c, loop["owner"], loop["ws"], "message.loop_budget_exhausted")
    return [e for e in entries if (e.get("details") or {}).get("channel_id") == loop["ch"]]


def test_refusal_is_audited_once_per_run_without_text(server, loop):
    alpha, beta = loop["alpha"], loop["beta"]
    with server.client() as c:
        set_budget_ok(c, loop["owner"], loop["ws"], 2)
        before = 0
        first = post_ok(c, loop["owner"], loop["ch"], "first run")
        post_ok(c, alpha["headers"], loop["ch"], "a1")
        post_ok(c, beta["headers"], loop["ch"], "b1")
        for _ in range(4):
            assert_exhausted(post(c, alpha["headers"], loop["ch"], "secret refused text"))
            assert_exhausted(post(c, beta["headers"], loop["ch"], "secret refused text"))
        entries = refusals(c, loop)
        assert len(entries) == before + 1, entries
        entry = entries[0]
        assert entry["details"]["channel_id"] == loop["ch"] and entry["details"]["trigger_id"] == first["id"], entry
        assert entry["details"]["thread_id"] is None and entry["details"]["loop_budget"] == 2, entry
        assert "secret refused text" not in str(entry), entry

        # A thread is a run of its own: its first refusal is audited too, once.
        for agent in (alpha, beta):
            post_ok(c, agent["headers"], loop["ch"], "reply", thread_id=first["id"])
        for _ in range(3):
            assert_exhausted(post(c, alpha["headers"], loop["ch"], "reply", thread_id=first["id"]))
        entries = refusals(c, loop)
        assert len(entries) == before + 2, entries
        assert any(e["details"]["thread_id"] == first["id"] for e in entries), entries

        # After a person resets the top level, the next exhausted run is audited again.
        post_ok(c, loop["owner"], loop["ch"], "second run")
        post_ok(c, alpha["headers"], loop["ch"], "a2")
        post_ok(c, beta["headers"], loop["ch"], "b2")
        assert_exhausted(post(c, alpha["headers"], loop["ch"], "x"))
        assert_exhausted(post(c, alpha["headers"], loop["ch"], "x"))
        assert len(refusals(c, loop)) == before + 3


def test_another_workspace_is_unaffected(server, team, loop):
    owner = team["owner"]["headers"]
    with server.client() as c:
        set_budget_ok(c, owner, loop["ws"], 1)
        post_ok(c, owner, loop["ch"], "hi")
        post_ok(c, loop["alpha"]["headers"], loop["ch"], "one")
        assert_exhausted(post(c, loop["beta"]["headers"], loop["ch"], "two"))

        other = create_workspace(c, owner, "Unbudgeted")["id"]
        ch = create_channel_ok(c, owner, other)["id"]
        bots = [make_agent(c, owner, other, "Other") for _ in range(2)]
        for bot in bots:
            add_member_ok(c, owner, ch, bot["id"])
        post_ok(c, owner, ch, "hi")
        for i in range(5):
            m = post_ok(c, bots[i % 2]["headers"], ch, f"m{i}")
            assert m["provenance"]["hops"] == i + 1, m
        assert c.get(f"{API}/workspaces/{other}", headers=owner).json()["loop_budget"] == 20
