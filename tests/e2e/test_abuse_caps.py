"""Caps that keep one member from multiplying their share of a server (security review, findings 9
and 20), end to end:

- A member may create at most CONCLAVE_MAX_AGENTS_PER_MEMBER agents in a workspace, and a
  workspace holds at most CONCLAVE_MAX_AGENTS_PER_WORKSPACE (409 beyond; deleting one frees a place).
- On top of every principal's own `send` limit, a workspace's principals share a `send_workspace`
  budget, so agents created by one member do not multiply the workspace's message rate.
- A DM request's `member_ids` list is bounded as sent, not only after removing duplicates.
"""

from __future__ import annotations

from conftest import assert_problem, create_owner
from helpers_identity import create_invite_ok, signup_via_invite
from helpers_messaging import API, add_member_ok, agent_key, channel_name, create_channel_ok, post

LIMITS = "login=1000/1m,signup=1000/1h,api=100000/1m,api_anonymous=100000/1m"


def create_agent(c, headers, ws, name):
    return c.post(f"{API}/workspaces/{ws}/agents", json={"name": name}, headers=headers)


def test_agents_per_member_and_per_workspace_are_capped(make_server):
    srv = make_server({"CONCLAVE_RATE_LIMITS": LIMITS, "CONCLAVE_MAX_AGENTS_PER_MEMBER": "3",
                       "CONCLAVE_MAX_AGENTS_PER_WORKSPACE": "5"})
    boss = create_owner(srv, "caps@example.com", "Caps")
    ws = boss["workspace_id"]
    with srv.client() as c:
        member = signup_via_invite(c, create_invite_ok(c, boss["headers"], ws, "member")["token"], "agentmaker")
        made = []
        for i in range(3):
            r = create_agent(c, member["headers"], ws, f"Helper {i}")
            assert r.status_code == 201, r.text
            made.append(r.json()["id"])
        body = assert_problem(create_agent(c, member["headers"], ws, "One Too Many"), 409)
        assert "3" in body["detail"], body
        # The owner has a cap of their own; the workspace's is 5 in all.
        for i in range(2):
            assert create_agent(c, boss["headers"], ws, f"Boss Bot {i}").status_code == 201
        body = assert_problem(create_agent(c, boss["headers"], ws, "Sixth"), 409)
        assert "5" in body["detail"], body
        # Deleting an agent frees its place.
        r = c.delete(f"{API}/workspaces/{ws}/agents/{made[0]}", headers=member["headers"])
        assert r.status_code == 204, r.text
        assert create_agent(c, member["headers"], ws, "Replacement").status_code == 201
        r = c.get(f"{API}/workspaces/{ws}/agents", params={"limit": 200}, headers=boss["headers"])
        assert len(r.json()["data"]) == 5, r.json()


def test_a_workspace_shares_one_send_budget_across_its_principals(make_server):
    srv = make_server({"CONCLAVE_RATE_LIMITS": LIMITS + ",send=10/1h:10,send_workspace=15/1h:15"})
    boss = create_owner(srv, "budget@example.com", "Budget")
    ws = boss["workspace_id"]
    with srv.client() as c:
        ch = create_channel_ok(c, boss["headers"], ws, channel_name("flood"))["id"]
        team = {"ws": ws, "owner": boss}
        keys = []
        for i in range(3):
            r = create_agent(c, boss["headers"], ws, f"Flooder {i}")
            assert r.status_code == 201, r.text
            agent = r.json()["id"]
            add_member_ok(c, boss["headers"], ch, agent)
            keys.append(agent_key(c, team, agent, ["messages:write", "messages:read"]))
        accepted, limited = 0, 0
        for round_ in range(10):
            for key in keys:
                r = post(c, {"Authorization": f"Bearer {key}"}, ch, f"flood {round_}")
                if r.status_code == 201:
                    accepted += 1
                else:
                    assert_problem(r, 429)
                    assert r.headers.get("retry-after"), dict(r.headers)
                    limited += 1
        # Each agent alone could send 10 (30 in all); together they share 15.
        assert accepted == 15, f"{accepted} messages accepted, the workspace budget is 15"
        assert limited == 15

        # Another workspace has a budget of its own.
        other = c.post(f"{API}/workspaces", json={"name": "Elsewhere"}, headers=boss["headers"]).json()["id"]
        other_ch = create_channel_ok(c, boss["headers"], other, channel_name("calm"))["id"]
        assert post(c, boss["headers"], other_ch, "still fine").status_code == 201


def test_a_dm_request_cannot_repeat_one_id_without_bound(make_server):
    srv = make_server({"CONCLAVE_RATE_LIMITS": LIMITS})
    boss = create_owner(srv, "dmcap@example.com", "DMCap")
    ws = boss["workspace_id"]
    with srv.client() as c:
        friend = signup_via_invite(c, create_invite_ok(c, boss["headers"], ws, "member")["token"], "friend")
        repeated = [friend["user_id"]] * 37_000
        r = c.post(f"{API}/workspaces/{ws}/dms", json={"member_ids": repeated}, headers=boss["headers"])
        body = assert_problem(r, 422)
        assert any(e["field"] == "member_ids" for e in body.get("errors", [])), body
        # The same DM named once (or with the caller too) still opens.
        r = c.post(f"{API}/workspaces/{ws}/dms", json={"member_ids": [friend["user_id"], boss["user_id"]]}, headers=boss["headers"])
        assert r.status_code == 201, r.text
