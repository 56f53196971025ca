"""Role decisions made while roles change (security review, findings 13 and 15), end to end:

- Two owners demoting each other, or both leaving, at the same moment: one of them wins and the
  workspace keeps an owner (the "last owner" count is taken with the owners' rows locked).
- An admin demoted while many of their requests are in flight: nothing they did commits after the
  demotion (each write checks the role inside its own transaction, with the membership locked),
  as the audit chain's order shows.

On PostgreSQL each race runs across two servers sharing the database, as in production; on SQLite
against one server.
"""

from __future__ import annotations

import secrets
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import BACKEND, create_owner
from helpers_identity import create_invite_ok, signup_via_invite
from helpers_messaging import API, MESSAGING_SERVER_ENV, uid


def shared_env() -> dict:
    """Keys and public URL (the tokens' issuer) shared, as behind one load balancer."""
    return dict(MESSAGING_SERVER_ENV, CONCLAVE_PUBLIC_URL="http://conclave.test",
                CONCLAVE_JWT_SECRET=secrets.token_urlsafe(40), CONCLAVE_MASTER_KEY=secrets.token_urlsafe(40))


@pytest.fixture
def servers(make_server):
    """Two servers on one database (PostgreSQL), or the same server twice (SQLite)."""
    env = shared_env()
    a = make_server(env)
    if BACKEND != "postgres":
        return a, a
    return a, make_server(dict(env, CONCLAVE_DATABASE_URL=a.database_url))


def roles(c, headers, ws) -> dict[str, str]:
    r = c.get(f"{API}/workspaces/{ws}/members", params={"limit": 200}, headers=headers)
    assert r.status_code == 200, r.text
    return {m["id"]: m["role"] for m in r.json()["data"]}


def at_once(*calls):
    """Runs the calls in threads released together; returns their results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return [f.result() for f in [pool.submit(run, call) for call in calls]]


@pytest.mark.parametrize("action", ["demote", "leave"])
def test_two_owners_racing_never_leave_a_workspace_without_an_owner(servers, action):
    a, b = servers
    founder = create_owner(a, f"founder-{action}@example.com", "Race")
    ws = founder["workspace_id"]
    first = founder
    with a.client() as ca, b.client() as cb:
        for round_ in range(15):
            second = signup_via_invite(ca, create_invite_ok(ca, first["headers"], ws, "admin")["token"], f"co{round_}")
            r = ca.patch(f"{API}/workspaces/{ws}/members/{uid(second)}", json={"role": "owner"}, headers=first["headers"])
            assert r.status_code == 200, r.text
            if action == "demote":
                results = at_once(
                    lambda: ca.patch(f"{API}/workspaces/{ws}/members/{uid(second)}", json={"role": "member"}, headers=first["headers"]),
                    lambda: cb.patch(f"{API}/workspaces/{ws}/members/{uid(first)}", json={"role": "member"}, headers=second["headers"]),
                )
            else:
                results = at_once(
                    lambda: ca.delete(f"{API}/workspaces/{ws}/members/{uid(first)}", headers=first["headers"]),
                    lambda: cb.delete(f"{API}/workspaces/{ws}/members/{uid(second)}", headers=second["headers"]),
                )
            statuses = sorted(r.status_code for r in results)
            assert all(s < 500 for s in statuses), [r.text for r in results]
            wins = [i for i, r in enumerate(results) if r.status_code in (200, 204)]
            assert len(wins) == 1, f"round {round_}: both {action}s succeeded ({statuses}): the workspace lost every owner"
            assert statuses[0] in (200, 204) and statuses[1] in (403, 404, 409), statuses
            # The survivor still owns the workspace and carries on.
            survivor = first if (action == "demote" and wins == [0]) or (action == "leave" and wins == [1]) else second
            current = roles(ca, survivor["headers"], ws)
            assert current.get(uid(survivor)) == "owner", (round_, current)
            assert "owner" in current.values()
            first = survivor


def test_a_demoted_admin_commits_nothing_after_the_demotion(servers):
    a, b = servers
    boss = create_owner(a, "boss-inflight@example.com", "InFlight")
    ws = boss["workspace_id"]
    with a.client() as ca:
        admin = signup_via_invite(ca, create_invite_ok(ca, boss["headers"], ws, "admin")["token"], "inflight")
        r = ca.post(f"{API}/workspaces/{ws}/agents", json={"name": "Keyed Bot"}, headers=boss["headers"])
        assert r.status_code == 201, r.text
        agent = r.json()["id"]

    flood = 48
    barrier = threading.Barrier(flood + 1)
    outcomes: list[tuple[str, int, str]] = []
    lock = threading.Lock()

    def one(i: int):
        with a.client() as c:
            barrier.wait()
            if i % 2:
                r = c.post(f"{API}/workspaces/{ws}/invites", json={"role": "member"}, headers=admin["headers"])
                kind = "invite"
            else:
                r = c.post(f"{API}/workspaces/{ws}/agents/{agent}/keys", json={"name": f"k{i}", "scopes": ["messages:read"]},
                           headers=admin["headers"])
                kind = "key"
        with lock:
            outcomes.append((kind, r.status_code, r.json().get("id", "") if r.status_code == 201 else ""))

    def demote():
        with b.client() as c:
            barrier.wait()
            return c.patch(f"{API}/workspaces/{ws}/members/{uid(admin)}", json={"role": "member"}, headers=boss["headers"])

    threads = [threading.Thread(target=one, args=(i,)) for i in range(flood)]
    for t in threads:
        t.start()
    demoted = demote()
    for t in threads:
        t.join(60)
    assert demoted.status_code == 200, demoted.text
    assert all(status in (201, 403) for _, status, _ in outcomes), outcomes
    created = {id_ for _, status, id_ in outcomes if status == 201}

    with a.client() as c:
        r = c.get(f"{API}/workspaces/{ws}/audit", params={"limit": 200}, headers=boss["headers"])
        assert r.status_code == 200, r.text
        entries = r.json()["data"]
    demotion = [e for e in entries if e["action"] == "member.role_changed" and e["target"] == uid(admin)]
    assert len(demotion) == 1, demotion
    by_admin = [e for e in entries if e["actor"]["id"] == uid(admin) and e["action"] in ("invite.created", "key.created")]
    late = [e for e in by_admin if e["seq"] > demotion[0]["seq"]]
    assert not late, f"{len(late)} of the admin's writes committed after their demotion: {[(e['action'], e['seq']) for e in late]}"
    assert {e["target"] for e in by_admin} == created, "every write the admin was told succeeded is in the audit log"
