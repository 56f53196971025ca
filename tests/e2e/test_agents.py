"""Agents and API keys end to end: agent lifecycle and who may manage it, key issue/shape/scopes,
revocation, expiry, allowed CIDRs (direct and behind a trusted proxy), forged keys, pause/resume
(423), deletion, usage tracking, self-provisioning through /bootstrap, the audit trail, and what is
left on disk and in the logs afterwards.

Everything goes over real HTTP; the only back doors are the data dir / database and the CLI.
"""

from __future__ import annotations

import secrets
import time
import urllib.parse

import pytest

from conftest import assert_problem, create_owner, running_server, strong_password
from helpers_agents import (ALL_SCOPES, API, BOOTSTRAP_SCOPES, KEY_RE, audit_entries, issued_keys_in,
                            bearer, change_one_char, create_agent, create_agent_ok, create_key,
                            create_key_ok, fake_key, is_well_formed, key_parts, list_keys,
                            members_full, poll, rfc3339, scan_bytes, storage_blobs)
from helpers_identity import (accept_signup, assert_unauthorized, create_invite_ok, create_workspace,
                              field_errors, signup_via_invite, unique_email)

AGENTS_SERVER_ENV = {
    "CONCLAVE_RATE_LIMITS": "login=1000/1m,signup=1000/1h,api_anonymous=1000/1m,auth_failures=100000/1m",
    "CONCLAVE_BOOTSTRAP_RATE_LIMIT": "1000",
}

# Every API key, bootstrap password, invite token and password used on the shared server;
# checked against storage, the audit log and the server's output at the end of the module.
SECRETS: dict[str, str] = {}


def remember(label: str, value: str | None) -> str | None:
    if value:
        SECRETS[f"{label} #{len(SECRETS)}"] = value
    return value


def remember_key(created: dict) -> str:
    key = created["key"]
    for label, part in key_parts(key).items():
        remember(label, part)
    return key


@pytest.fixture(scope="module")
def server(conclave_bin):
    """Overrides conftest's shared server for this module (limits high enough for its sign-ups)."""
    yield from running_server(AGENTS_SERVER_ENV)


@pytest.fixture(scope="module")
def team(server, owner) -> dict:
    """The owner's workspace with an admin, two members, a viewer, and an outsider who belongs
    only to a second workspace."""
    remember("password", owner["password"])
    ws = owner["workspace_id"]
    people = {"owner": owner, "ws": ws}
    with server.client() as c:
        for tag, role in (("admin", "admin"), ("member", "member"), ("member2", "member"), ("viewer", "viewer")):
            invite = create_invite_ok(c, owner["headers"], ws, role)
            remember("invite token", invite["token"])
            person = signup_via_invite(c, invite["token"], tag)
            remember("password", person["password"])
            assert person.get("role") == role, person
            people[tag] = person
        other = create_workspace(c, owner["headers"], "Elsewhere")
        invite = create_invite_ok(c, owner["headers"], other["id"], "member")
        remember("invite token", invite["token"])
        outsider = signup_via_invite(c, invite["token"], "outsider")
        remember("password", outsider["password"])
        people["outsider"] = outsider
        people["other_ws"] = other["id"]
    return people


@pytest.fixture(scope="module")
def bot(server, team) -> dict:
    """An agent created by the (plain) member, used by the key tests."""
    with server.client() as c:
        return create_agent_ok(c, team["member"]["headers"], team["ws"], "Key Bot")


def new_key(c, team, agent_id, scopes, who="member", **extra) -> tuple[dict, str]:
    created = create_key_ok(c, team[who]["headers"], team["ws"], agent_id, scopes, **extra)
    return created, remember_key(created)


# ======================================================================================
# Agents: create, membership, who may create
# ======================================================================================

def test_member_creates_agent_and_it_is_a_member_of_kind_agent(server, team, client):
    ws = team["ws"]
    r = create_agent(client, team["member"]["headers"], ws, "Build Bot", description="runs the builds")
    assert r.status_code == 201, f"member creates an agent: {r.status_code} {r.text}"
    agent = r.json()
    assert agent["id"].startswith("agt_"), agent
    assert agent["status"] == "active", agent
    assert agent["role"] == "agent", agent
    assert agent["name"] == "Build Bot" and agent["description"] == "runs the builds", agent
    assert agent["workspace_id"] == ws, agent
    assert agent["created_by"] == team["member"]["user_id"], agent

    listed = members_full(client, team["owner"]["headers"], ws)
    assert agent["id"] in listed, f"new agent not among the workspace members: {list(listed)}"
    assert listed[agent["id"]]["kind"] == "agent", listed[agent["id"]]
    assert listed[agent["id"]]["role"] == "agent", listed[agent["id"]]

    r = client.get(f"{API}/workspaces/{ws}/agents/{agent['id']}", headers=team["viewer"]["headers"])
    assert r.status_code == 200 and r.json()["id"] == agent["id"], f"viewer reads agent: {r.status_code} {r.text}"
    r = client.get(f"{API}/workspaces/{ws}/agents", headers=team["owner"]["headers"], params={"limit": 200})
    assert r.status_code == 200, r.text
    assert agent["id"] in [a["id"] for a in r.json()["data"]], r.json()

    # admins and owners may create too
    for who in ("admin", "owner"):
        r = create_agent(client, team[who]["headers"], ws, f"{who} bot")
        assert r.status_code == 201, f"{who} creates an agent: {r.status_code} {r.text}"


def test_viewer_cannot_create_agent(server, team, client):
    before = set(members_full(client, team["owner"]["headers"], team["ws"]))
    r = create_agent(client, team["viewer"]["headers"], team["ws"], "Viewer Bot")
    assert_problem(r, 403)
    assert set(members_full(client, team["owner"]["headers"], team["ws"])) == before, "a refused create added a member"


def test_other_workspaces_user_gets_404(server, team, bot, client):
    ws = team["ws"]
    h = team["outsider"]["headers"]
    assert_problem(create_agent(client, h, ws, "Intruder Bot"), 404)
    assert_problem(client.get(f"{API}/workspaces/{ws}/agents/{bot['id']}", headers=h), 404)
    assert_problem(client.get(f"{API}/workspaces/{ws}/agents", headers=h), 404)
    assert_problem(create_key(client, h, ws, bot["id"], ["members:read"]), 404)
    assert_problem(client.patch(f"{API}/workspaces/{ws}/agents/{bot['id']}", json={"status": "paused"}, headers=h), 404)
    # the agent is addressed through its own workspace only
    r = client.get(f"{API}/workspaces/{team['other_ws']}/agents/{bot['id']}", headers=team["owner"]["headers"])
    assert_problem(r, 404)


def test_api_key_cannot_create_agents(server, team, bot, client):
    _, key = new_key(client, team, bot["id"], ALL_SCOPES)
    r = create_agent(client, bearer(key), team["ws"], "Bot Spawned By Bot")
    assert_problem(r, 403)
    r = create_key(client, bearer(key), team["ws"], bot["id"], ["members:read"])
    assert_problem(r, 403)
    names = [m["name"] for m in members_full(client, team["owner"]["headers"], team["ws"]).values()]
    assert "Bot Spawned By Bot" not in names, names


# ======================================================================================
# Keys: shape, listing without secrets, authentication, scopes
# ======================================================================================

def test_key_is_shown_once_and_authenticates_as_the_agent(server, team, bot, client):
    scopes = ["members:read", "messages:read", "channels:read"]
    r = create_key(client, team["member"]["headers"], team["ws"], bot["id"], scopes, name="ci key")
    assert r.status_code == 201, f"create key: {r.status_code} {r.text}"
    created = r.json()
    key = remember_key(created)
    assert KEY_RE.match(key), f"key {key[:12]}… does not match ^ck_[0-9A-Za-z]{{49}}$ (len {len(key)})"
    assert is_well_formed(key), "the key's last 6 symbols are not the base62 CRC-32 of its 43-symbol body"
    assert created["prefix"] == key[:12], f"prefix {created['prefix']!r} != first 12 chars of the key"
    assert sorted(created["scopes"]) == sorted(scopes), created["scopes"]
    assert created["id"].startswith("key_"), created
    assert created.get("name") == "ci key", created
    assert created.get("revoked_at") is None and created.get("expires_at") is None, created

    second = create_key_ok(client, team["member"]["headers"], team["ws"], bot["id"], ["members:read"])
    remember_key(second)
    assert second["key"] != key and second["prefix"] != created["prefix"], "two keys share key or prefix"

    r = list_keys(client, team["member"]["headers"], team["ws"], bot["id"])
    assert r.status_code == 200, f"GET keys: {r.status_code} {r.text}"
    for label, part in key_parts(key).items():
        assert part not in r.text, f"GET keys shows the {label}"
    assert second["key"][12:] not in r.text
    listed = {k["id"]: k for k in r.json()["data"]}
    assert created["id"] in listed and second["id"] in listed, listed
    assert "key" not in listed[created["id"]], listed[created["id"]]
    assert listed[created["id"]]["prefix"] == key[:12], listed[created["id"]]
    assert sorted(listed[created["id"]]["scopes"]) == sorted(scopes)
    # admins may list too; a plain member who did not create the agent may not
    assert list_keys(client, team["admin"]["headers"], team["ws"], bot["id"]).status_code == 200
    assert_problem(list_keys(client, team["member2"]["headers"], team["ws"], bot["id"]), 403)

    r = client.get(f"{API}/me", headers=bearer(key))
    assert r.status_code == 200, f"GET /me with the new key: {r.status_code} {r.text}"
    me = r.json()
    assert me["kind"] == "agent", me
    assert me["id"] == bot["id"] and me["id"].startswith("agt_"), me
    assert sorted(me.get("scopes") or []) == sorted(scopes), me
    assert {"id": team["ws"], "role": "agent"} in me["workspaces"], me


def test_scope_denial_names_the_missing_scope(server, team, bot, client):
    ws = team["ws"]
    _, narrow = new_key(client, team, bot["id"], ["messages:read", "channels:read"])
    for path in (f"{API}/workspaces/{ws}/agents", f"{API}/workspaces/{ws}/agents/{bot['id']}"):
        r = client.get(path, headers=bearer(narrow))
        body = assert_problem(r, 403)
        assert "members:read" in (body.get("detail") or ""), f"GET {path}: 403 does not name members:read: {body}"
    # The member list (handles, names) also needs only channels:read (contract v1.1), not messages:read.
    _, unrelated = new_key(client, team, bot["id"], ["messages:read"])
    body = assert_problem(client.get(f"{API}/workspaces/{ws}/members", headers=bearer(unrelated)), 403)
    assert "members:read or channels:read" in (body.get("detail") or ""), body
    assert client.get(f"{API}/workspaces/{ws}/members", headers=bearer(narrow)).status_code == 200

    _, wide = new_key(client, team, bot["id"], ["members:read"])
    r = client.get(f"{API}/workspaces/{ws}/members", headers=bearer(wide))
    assert r.status_code == 200, f"members:read key lists members: {r.status_code} {r.text}"
    assert bot["id"] in [m["id"] for m in r.json()["data"]]
    r = client.get(f"{API}/workspaces/{ws}/agents", headers=bearer(wide))
    assert r.status_code == 200, f"members:read key lists agents: {r.status_code} {r.text}"


@pytest.mark.parametrize("scopes", [["members:read", "admin"], ["*"], ["MEMBERS:READ"], ["members:write"], []],
                         ids=["unknown_among_known", "wildcard", "uppercase", "members_write", "empty"])
def test_bad_scopes_are_422(server, team, bot, client, scopes):
    before = len(list_keys(client, team["member"]["headers"], team["ws"], bot["id"]).json()["data"])
    r = create_key(client, team["member"]["headers"], team["ws"], bot["id"], scopes)
    body = assert_problem(r, 422)
    assert "scopes" in field_errors(body), f"422 without a 'scopes' field error: {body}"
    assert "ck_" not in r.text, r.text
    after = len(list_keys(client, team["member"]["headers"], team["ws"], bot["id"]).json()["data"])
    assert after == before, "a refused key was stored"


# ======================================================================================
# Revocation, expiry
# ======================================================================================

def test_revoked_key_is_401_on_the_next_request(server, team, bot, client):
    created, key = new_key(client, team, bot["id"], ["members:read"])
    assert client.get(f"{API}/me", headers=bearer(key)).status_code == 200
    url = f"{API}/workspaces/{team['ws']}/agents/{bot['id']}/keys/{created['id']}"
    r = client.delete(url, headers=team["member"]["headers"])
    assert r.status_code == 204, f"DELETE key: {r.status_code} {r.text}"
    assert_unauthorized(client.get(f"{API}/me", headers=bearer(key)), "GET /me with a revoked key")
    assert_unauthorized(client.get(f"{API}/workspaces/{team['ws']}/members", headers=bearer(key)),
                        "GET members with a revoked key")
    assert_problem(client.delete(url, headers=team["member"]["headers"]), 404)
    listed = {k["id"]: k for k in list_keys(client, team["member"]["headers"], team["ws"], bot["id"]).json()["data"]}
    if created["id"] in listed:
        assert listed[created["id"]]["revoked_at"], f"revoked key listed without revoked_at: {listed[created['id']]}"


def test_plain_member_cannot_revoke_someone_elses_agents_key(server, team, bot, client):
    created, key = new_key(client, team, bot["id"], ["members:read"])
    url = f"{API}/workspaces/{team['ws']}/agents/{bot['id']}/keys/{created['id']}"
    assert_problem(client.delete(url, headers=team["member2"]["headers"]), 403)
    assert_problem(client.delete(url, headers=team["viewer"]["headers"]), 403)
    assert client.get(f"{API}/me", headers=bearer(key)).status_code == 200, "key stopped working after refused revokes"
    # an admin may revoke it
    assert client.delete(url, headers=team["admin"]["headers"]).status_code == 204
    assert_unauthorized(client.get(f"{API}/me", headers=bearer(key)), "GET /me after an admin revoked the key")


def test_expires_at_in_the_past_is_422(server, team, bot, client):
    r = create_key(client, team["member"]["headers"], team["ws"], bot["id"], ["members:read"],
                   expires_at=rfc3339(time.time() - 60))
    body = assert_problem(r, 422)
    assert "expires_at" in field_errors(body), body
    r = create_key(client, team["member"]["headers"], team["ws"], bot["id"], ["members:read"], expires_at="tomorrow")
    body = assert_problem(r, 422)
    assert "expires_at" in field_errors(body), body


def test_key_stops_working_when_it_expires(server, team, bot, client):
    expires = int(time.time()) + 3
    created, key = new_key(client, team, bot["id"], ["members:read"], expires_at=rfc3339(expires))
    assert created["expires_at"], created
    assert time.time() < expires, "test too slow: key expired before first use"
    r = client.get(f"{API}/me", headers=bearer(key))
    assert r.status_code == 200, f"unexpired key refused: {r.status_code} {r.text}"
    time.sleep(max(0.0, expires - time.time()) + 0.6)
    assert_unauthorized(client.get(f"{API}/me", headers=bearer(key)), "GET /me with an expired key")
    assert_unauthorized(client.get(f"{API}/workspaces/{team['ws']}/members", headers=bearer(key)),
                        "GET members with an expired key")


# ======================================================================================
# Allowed CIDRs
# ======================================================================================

def test_allowed_cidrs_from_loopback(server, team, bot, client):
    _, outside = new_key(client, team, bot["id"], ["members:read"], allowed_cidrs=["10.0.0.0/8"])
    assert_unauthorized(client.get(f"{API}/me", headers=bearer(outside)), "10.0.0.0/8 key used from 127.0.0.1")
    # X-Forwarded-For is not believed without trusted proxies
    assert_unauthorized(client.get(f"{API}/me", headers={**bearer(outside), "X-Forwarded-For": "10.1.2.3"}),
                        "10.0.0.0/8 key with a spoofed X-Forwarded-For and no trusted proxy")

    _, inside = new_key(client, team, bot["id"], ["members:read"], allowed_cidrs=["127.0.0.1/32"])
    r = client.get(f"{API}/me", headers=bearer(inside))
    assert r.status_code == 200, f"127.0.0.1/32 key from loopback: {r.status_code} {r.text}"

    _, several = new_key(client, team, bot["id"], ["members:read"], allowed_cidrs=["10.0.0.0/8", "127.0.0.0/8"])
    assert client.get(f"{API}/me", headers=bearer(several)).status_code == 200


@pytest.mark.parametrize("cidr", ["10.0.0.0/33", "not-a-cidr", "300.1.2.3/8", "10.0.0.0/-1", ""])
def test_malformed_cidr_is_422(server, team, bot, client, cidr):
    r = create_key(client, team["member"]["headers"], team["ws"], bot["id"], ["members:read"],
                   allowed_cidrs=["127.0.0.1/32", cidr])
    body = assert_problem(r, 422)
    assert "allowed_cidrs" in field_errors(body), body


def test_allowed_cidrs_behind_a_trusted_proxy(make_server):
    srv = make_server({"CONCLAVE_TRUSTED_PROXIES": "127.0.0.1/32"})
    boss = create_owner(srv)
    ws = boss["workspace_id"]
    with srv.client() as c:
        agent = create_agent_ok(c, boss["headers"], ws, "Proxy Bot")
        key = create_key_ok(c, boss["headers"], ws, agent["id"], ["members:read"], allowed_cidrs=["10.0.0.0/8"])["key"]
        h = bearer(key)
        r = c.get(f"{API}/me", headers={**h, "X-Forwarded-For": "10.1.2.3"})
        assert r.status_code == 200, f"10.0.0.0/8 key via trusted proxy, XFF 10.1.2.3: {r.status_code} {r.text}"
        assert_unauthorized(c.get(f"{API}/me", headers={**h, "X-Forwarded-For": "192.0.2.1"}),
                            "10.0.0.0/8 key via trusted proxy, XFF 192.0.2.1")
        # the client may prepend anything; the right-most untrusted hop counts
        assert_unauthorized(c.get(f"{API}/me", headers={**h, "X-Forwarded-For": "10.1.2.3, 192.0.2.1"}),
                            "10.0.0.0/8 key, XFF '10.1.2.3, 192.0.2.1' (spoofed left-most hop)")
        assert_unauthorized(c.get(f"{API}/me", headers=h), "10.0.0.0/8 key via trusted proxy without XFF")

        def used_from():
            keys = list_keys(c, boss["headers"], ws, agent["id"]).json()["data"]
            return keys[0].get("last_used_ip") if keys else None
        assert poll(used_from) == "10.1.2.3", f"last_used_ip behind the proxy: {used_from()!r}"
    for text in (srv.stdout, srv.stderr):
        assert key not in text and key[12:] not in text, "the API key appears in the server's output"


# ======================================================================================
# Keys that were never issued
# ======================================================================================

def test_keys_that_were_never_issued_are_401(server, team, bot, client):
    _, real = new_key(client, team, bot["id"], ["members:read"])
    assert client.get(f"{API}/me", headers=bearer(real)).status_code == 200, "control: the real key works"

    never = fake_key()
    assert is_well_formed(never)
    cases = {
        "well-formed, never issued": never,
        "one body char changed": change_one_char(real, 20),
        "one checksum char changed": change_one_char(real, 50),
        "last char dropped": real[:-1],
        "one char appended": real + "0",
        "ck_ garbage": "ck_garbage",
        "ck_ alone": "ck_",
        "right length, bad alphabet": "ck_" + "-" * 49,
        "uppercase CK_ prefix": "CK_" + real[3:],
    }
    for label, value in cases.items():
        if label.startswith("one ") and "changed" in label:
            assert not is_well_formed(value), label
        r = client.get(f"{API}/me", headers=bearer(value))
        assert_unauthorized(r, f"GET /me with key: {label}")
        r = client.get(f"{API}/workspaces/{team['ws']}/members", headers=bearer(value))
        assert_unauthorized(r, f"GET members with key: {label}")


# ======================================================================================
# Pause / resume
# ======================================================================================

def test_pause_and_resume(server, team, client):
    ws = team["ws"]
    agent = create_agent_ok(client, team["member"]["headers"], ws, "Pausable Bot")
    _, key = new_key(client, team, agent["id"], ["members:read"])
    url = f"{API}/workspaces/{ws}/agents/{agent['id']}"
    assert client.get(f"{API}/me", headers=bearer(key)).status_code == 200

    # a plain member who did not create it, and a viewer, may not pause it
    for who in ("member2", "viewer"):
        assert_problem(client.patch(url, json={"status": "paused"}, headers=team[who]["headers"]), 403)
    assert client.get(f"{API}/me", headers=bearer(key)).status_code == 200, "agent paused by a refused PATCH"
    # nor may the agent itself
    assert_problem(client.patch(url, json={"status": "paused"}, headers=bearer(key)), 403)

    # the creator pauses
    r = client.patch(url, json={"status": "paused"}, headers=team["member"]["headers"])
    assert r.status_code == 200, f"creator pauses: {r.status_code} {r.text}"
    assert r.json()["status"] == "paused", r.json()
    for path in (f"{API}/me", f"{API}/workspaces/{ws}/members"):
        assert_problem(client.get(path, headers=bearer(key)), 423)
    assert client.get(url, headers=team["viewer"]["headers"]).json()["status"] == "paused"

    # an admin resumes
    r = client.patch(url, json={"status": "active"}, headers=team["admin"]["headers"])
    assert r.status_code == 200 and r.json()["status"] == "active", f"admin resumes: {r.status_code} {r.text}"
    assert client.get(f"{API}/me", headers=bearer(key)).status_code == 200, "resumed agent's key refused"

    # an admin pauses, the creator resumes
    r = client.patch(url, json={"status": "paused"}, headers=team["admin"]["headers"])
    assert r.status_code == 200 and r.json()["status"] == "paused", f"admin pauses: {r.status_code} {r.text}"
    assert_problem(client.get(f"{API}/me", headers=bearer(key)), 423)
    r = client.patch(url, json={"status": "active"}, headers=team["member"]["headers"])
    assert r.status_code == 200 and r.json()["status"] == "active", f"creator resumes: {r.status_code} {r.text}"
    assert client.get(f"{API}/me", headers=bearer(key)).status_code == 200

    assert_problem(client.patch(url, json={"status": "sleeping"}, headers=team["admin"]["headers"]), 422)

    paused = [e for e in audit_entries(client, team["owner"]["headers"], ws, "agent.paused") if e.get("target") == agent["id"]]
    resumed = [e for e in audit_entries(client, team["owner"]["headers"], ws, "agent.resumed") if e.get("target") == agent["id"]]
    assert len(paused) == 2, f"agent.paused entries for {agent['id']}: {paused}"
    assert len(resumed) == 2, f"agent.resumed entries for {agent['id']}: {resumed}"
    actors = {e["actor"]["id"] for e in paused}
    assert actors == {team["member"]["user_id"], team["admin"]["user_id"]}, paused


# ======================================================================================
# Delete
# ======================================================================================

def test_delete_agent_revokes_its_keys(server, team, client):
    ws = team["ws"]
    agent = create_agent_ok(client, team["member"]["headers"], ws, "Doomed Bot")
    keys = [new_key(client, team, agent["id"], ["members:read"])[1] for _ in range(2)]
    for k in keys:
        assert client.get(f"{API}/me", headers=bearer(k)).status_code == 200
    url = f"{API}/workspaces/{ws}/agents/{agent['id']}"

    assert_problem(client.delete(url, headers=team["member2"]["headers"]), 403)
    assert_problem(client.delete(url, headers=bearer(keys[0])), 403)
    assert client.get(f"{API}/me", headers=bearer(keys[0])).status_code == 200, "refused delete had an effect"

    r = client.delete(url, headers=team["member"]["headers"])
    assert r.status_code == 204, f"creator deletes agent: {r.status_code} {r.text}"
    for k in keys:
        assert_unauthorized(client.get(f"{API}/me", headers=bearer(k)), "GET /me with a deleted agent's key")
        assert_unauthorized(client.get(f"{API}/workspaces/{ws}/members", headers=bearer(k)),
                            "GET members with a deleted agent's key")
    assert agent["id"] not in members_full(client, team["owner"]["headers"], ws), "deleted agent still a member"
    assert_problem(client.get(url, headers=team["owner"]["headers"]), 404)
    assert_problem(list_keys(client, team["owner"]["headers"], ws, agent["id"]), 404)
    assert_problem(client.delete(url, headers=team["owner"]["headers"]), 404)
    deleted = [e for e in audit_entries(client, team["owner"]["headers"], ws, "agent.deleted") if e.get("target") == agent["id"]]
    assert len(deleted) == 1, deleted


# ======================================================================================
# Usage tracking
# ======================================================================================

def test_last_used_is_recorded(server, team, bot, client):
    created, key = new_key(client, team, bot["id"], ["members:read"])
    assert created.get("last_used_at") is None and created.get("last_used_ip") is None, created
    assert client.get(f"{API}/workspaces/{team['ws']}/members", headers=bearer(key)).status_code == 200

    def entry():
        data = list_keys(client, team["member"]["headers"], team["ws"], bot["id"]).json()["data"]
        found = [k for k in data if k["id"] == created["id"]]
        return found[0] if found and found[0].get("last_used_at") else None

    got = poll(entry, timeout=2.0)
    assert got, "last_used_at still null 2 s after the key was used"
    assert got["last_used_ip"] == "127.0.0.1", got
    assert got["last_used_at"] >= created["created_at"], got


# ======================================================================================
# Bootstrap
# ======================================================================================

def bootstrap(c, name="Self Bot", **extra):
    return c.post(f"{API}/bootstrap", json={"agent_name": name, **extra})


def bootstrap_ok(c, name="Self Bot", **extra) -> dict:
    r = bootstrap(c, name, **extra)
    assert r.status_code == 201, f"POST /bootstrap: {r.status_code} {r.text}"
    body = r.json()
    for field in ("workspace_id", "user_id", "agent_id", "api_key", "channel_id", "invite_url"):
        assert isinstance(body.get(field), str) and body[field], f"bootstrap response lacks {field}: {body}"
    assert "password" not in body, "contract v1.1: bootstrap returns no password (the agent signs in with its key)"
    return body


def test_bootstrap_provisions_an_agent_that_is_never_owner(server, client):
    r = client.post(f"{API}/bootstrap", json={"agent_name": "Self Bot", "workspace_name": "Bot Land"})
    assert r.status_code == 201, f"POST /bootstrap: {r.status_code} {r.text}"
    b = r.json()
    if b.get("api_key"):
        remember_key({"key": b["api_key"]})
    for field, prefix in (("workspace_id", "ws_"), ("user_id", "usr_"), ("agent_id", "agt_"), ("channel_id", "ch_")):
        assert b.get(field, "").startswith(prefix), f"{field}: {b}"
    assert "password" not in b, "contract v1.1: bootstrap returns no password (the agent signs in with its key)"
    key = b["api_key"]
    assert KEY_RE.match(key) and is_well_formed(key), "bootstrap api_key is not a well-formed key"
    url = urllib.parse.urlsplit(b["invite_url"])
    assert url.scheme in ("http", "https") and url.netloc, b["invite_url"]
    assert url.path.endswith("/invite") and not url.query, f"the token must ride in the fragment: {b['invite_url']}"
    token = url.fragment
    remember("bootstrap invite token", token)
    assert len(token) >= 20, b["invite_url"]

    # the key: exactly the bootstrap scopes, role agent in the new workspace
    r = client.get(f"{API}/me", headers=bearer(key))
    assert r.status_code == 200, f"GET /me with the bootstrap key: {r.status_code} {r.text}"
    me = r.json()
    assert me["kind"] == "agent" and me["id"] == b["agent_id"], me
    assert sorted(me.get("scopes") or []) == BOOTSTRAP_SCOPES, me
    assert me["workspaces"] == [{"id": b["workspace_id"], "role": "agent"}], me

    ws = b["workspace_id"]
    # the agent's key can neither invite nor change roles (its own included)
    r = client.post(f"{API}/workspaces/{ws}/invites", json={"role": "admin"}, headers=bearer(key))
    assert_problem(r, 403)
    r = client.post(f"{API}/workspaces/{ws}/invites", json={"role": "member"}, headers=bearer(key))
    assert_problem(r, 403)
    for role in ("owner", "admin"):
        r = client.patch(f"{API}/workspaces/{ws}/members/{b['agent_id']}", json={"role": role}, headers=bearer(key))
        assert_problem(r, 403)
    assert_problem(create_agent(client, bearer(key), ws, "Minion"), 403)
    assert client.get(f"{API}/me", headers=bearer(key)).json()["workspaces"] == [{"id": ws, "role": "agent"}]

    # the first human to accept the invite becomes owner
    human_pw = remember("password", strong_password())
    r = accept_signup(client, token, unique_email("founder"), human_pw, "Founder Person")
    assert r.status_code == 201, f"accept the bootstrap invite: {r.status_code} {r.text}"
    human = r.json()
    assert human["workspace_id"] == ws and human["role"] == "owner", f"first human is not owner: {human}"
    remember("refresh token", human.get("refresh_token"))
    hh = bearer(human["access_token"])
    listed = members_full(client, hh, ws)
    assert listed[b["agent_id"]]["role"] == "agent" and listed[b["agent_id"]]["kind"] == "agent", listed
    assert listed[human["user_id"]]["role"] == "owner", listed
    assert [m for m in listed.values() if m["role"] == "owner"] == [listed[human["user_id"]]], listed

    # the agent still cannot change anyone's role, now that there is a human
    r = client.patch(f"{API}/workspaces/{ws}/members/{human['user_id']}", json={"role": "viewer"}, headers=bearer(key))
    assert_problem(r, 403)
    assert members_full(client, hh, ws)[human["user_id"]]["role"] == "owner"

    # the invite is single-use
    r = accept_signup(client, token, unique_email("latecomer"), remember("password", strong_password()), "Late Person")
    assert_problem(r, 404)

    entries = audit_entries(client, hh, ws, "bootstrap.completed")
    assert len(entries) == 1 and entries[0]["target"] == b["agent_id"], entries


def test_bootstrap_bad_body_is_422(server, client):
    for payload in ({}, {"agent_name": ""}, {"agent_name": 42}, {"workspace_name": "No Agent Name"}):
        r = client.post(f"{API}/bootstrap", json=payload)
        body = assert_problem(r, 422)
        if payload in ({}, {"agent_name": ""}):
            assert "agent_name" in field_errors(body), f"{payload}: {body}"
        assert "ck_" not in r.text


def test_bootstrap_rate_limit(make_server):
    srv = make_server({"CONCLAVE_BOOTSTRAP_RATE_LIMIT": "2"})
    issued = []
    with srv.client() as c:
        for i in range(2):
            b = bootstrap_ok(c, f"Bot {i}")
            issued += [b["api_key"]]
        r = bootstrap(c, "Bot 3")
        assert_problem(r, 429)
        retry = r.headers.get("retry-after", "")
        assert retry.isdigit() and int(retry) > 0, f"429 Retry-After={retry!r}"
        assert "ck_" not in r.text
        # X-Forwarded-For is not believed without trusted proxies
        r = c.post(f"{API}/bootstrap", json={"agent_name": "Bot 4"}, headers={"X-Forwarded-For": "203.0.113.9"})
        assert_problem(r, 429)
    out = srv.stdout + srv.stderr
    for s in issued:
        assert s not in out, "a bootstrap secret appears in the server's output"


def test_bootstrap_can_be_disabled(make_server):
    srv = make_server({"CONCLAVE_DISABLE_BOOTSTRAP": "true"})
    with srv.client() as c:
        assert_problem(bootstrap(c, "Nope Bot"), 404)
    assert srv.stop() == 0
    rows = srv.sql_rows("SELECT COUNT(*) FROM agents")
    assert rows == [["0"]], f"disabled bootstrap created agents: {rows}"


def test_bootstrap_is_off_in_production_unless_explicitly_enabled(make_server):
    """Bootstrap is a sign-up path (anyone reaching it gets a workspace whose invite makes them
    its owner), so CONCLAVE_ENV=production turns it off unless CONCLAVE_DISABLE_BOOTSTRAP=false
    says otherwise; `doctor` reports which, and warns while it is on."""
    production = {"CONCLAVE_ENV": "production", "CONCLAVE_JWT_SECRET": secrets.token_hex(32),
                  "CONCLAVE_MASTER_KEY": secrets.token_hex(32)}
    default = make_server(production)
    with default.client() as c:
        assert_problem(bootstrap(c, "Prod Bot"), 404)
    lines = [l for l in default.run_cli(["doctor"]).stdout.splitlines() if "bootstrap" in l.lower()]
    assert lines and all(l.lower().startswith("ok") for l in lines), f"doctor on production defaults: {lines}"
    assert any("off" in l.lower() or "disabled" in l.lower() for l in lines), lines

    opted_in = make_server({**production, "CONCLAVE_DISABLE_BOOTSTRAP": "false"})
    with opted_in.client() as c:
        bootstrap_ok(c, "Opted In Bot")
    lines = [l for l in opted_in.run_cli(["doctor"]).stdout.splitlines() if "bootstrap" in l.lower()]
    assert lines and all(l.lower().startswith("warn") for l in lines), f"doctor with bootstrap opted in: {lines}"


# ======================================================================================
# Audit trail, then what is left at rest (last: stops the shared server)
# ======================================================================================

def test_audit_records_key_and_agent_actions_without_secrets(server, team, bot, client):
    # one flow of our own so this test also stands alone
    agent = create_agent_ok(client, team["member"]["headers"], team["ws"], "Audited Bot")
    created, key = new_key(client, team, agent["id"], ["members:read"])
    kurl = f"{API}/workspaces/{team['ws']}/agents/{agent['id']}/keys/{created['id']}"
    assert client.delete(kurl, headers=team["member"]["headers"]).status_code == 204
    assert client.delete(f"{API}/workspaces/{team['ws']}/agents/{agent['id']}",
                         headers=team["member"]["headers"]).status_code == 204
    bootstrapped = bootstrap_ok(client, "Audit Bot")
    remember_key({"key": bootstrapped["api_key"]})
    remember("bootstrap invite token", bootstrapped["invite_url"].rsplit("#", 1)[-1])

    rows = server.sql_rows("SELECT action, COALESCE(target, ''), COALESCE(workspace_id, '') FROM audit_log")
    have = {(a, t) for a, t, _ in rows}
    for action, target in (("agent.created", agent["id"]), ("key.created", created["id"]),
                           ("key.revoked", created["id"]), ("agent.deleted", agent["id"]),
                           ("bootstrap.completed", bootstrapped["agent_id"])):
        assert (action, target) in have, f"no audit row {action} -> {target}; actions: {sorted({a for a, _, _ in rows})}"
    ws_of = {(a, t): w for a, t, w in rows}
    assert ws_of[("bootstrap.completed", bootstrapped["agent_id"])] == bootstrapped["workspace_id"]
    assert ws_of[("key.created", created["id"])] == team["ws"]

    dump = server.sql("SELECT * FROM audit_log").stdout
    details = server.sql("SELECT details FROM audit_log").stdout
    assert details.strip(), "audit details empty"
    leaked = [label for label, value in SECRETS.items() if value in dump]
    assert not leaked, f"secrets in the audit log: {leaked}"
    assert not issued_keys_in(dump.encode()), "a well-formed API key is in the audit log"

    proc = server.run_cli(["audit", "verify"])
    assert proc.returncode == 0, f"conclave audit verify: {proc.returncode}\n{proc.stdout}\n{proc.stderr}"


def test_no_key_password_or_token_at_rest_or_in_logs(server, team, bot, client):
    # one key and one bootstrap of our own, so this test also stands alone
    new_key(client, team, bot["id"], ["members:read"])
    b = bootstrap_ok(client, "At Rest Bot")
    remember_key({"key": b["api_key"]})
    remember("bootstrap invite token", b["invite_url"].rsplit("#", 1)[-1])
    assert SECRETS, "no secrets were collected"
    assert any(label.startswith("key #") for label in SECRETS), "no API keys were collected"
    assert any(label.startswith("bootstrap invite token") for label in SECRETS), "no bootstrap invite token collected"

    out = server.stdout + "\n" + server.stderr
    in_output = [label for label, value in SECRETS.items() if value in out]
    assert not in_output, f"secrets in the server's stdout/stderr: {in_output}"
    assert not issued_keys_in(out.encode()), "a well-formed API key is in the server's output"

    assert server.stop() == 0
    blobs = storage_blobs(server)
    # control: the scan sees the keys table (each key's display prefix is stored in clear)
    prefixes = [value[:12] for label, value in SECRETS.items() if label.startswith("key #")]
    assert any(p.encode() in data for p in prefixes for data in blobs.values()), \
        "no stored key prefix found: the scan is not looking at the server's storage"
    hits = scan_bytes(blobs, SECRETS)
    assert not hits, "secrets at rest:\n" + "\n".join(hits)
