"""Handles (contract v1.1 "Changes to v1"), end to end:

- Every member, person or agent, has a `handle` derived from its name at creation (lowercase,
  accents and apostrophes dropped, other runs of characters one `-`, at most 32 characters; `member`
  or `agent` when nothing is left), unique in the workspace (`-2`, `-3`… on a clash); a person has
  one per workspace. `GET /workspaces/{ws}/members` shows `handle`, `name` and `kind`, and an agent
  key with `members:read` or `channels:read` may read it.
- PATCH member / PATCH agent change it: anyone their own, admins and owners anyone's, an agent's
  whoever manages the agent; 422 naming `handle` when invalid or reserved, 409 when taken, 403
  otherwise (and with an API key); audited without the handle itself.
- Choices of a handle in one workspace take turns: eight people joining at once with one name get
  eight distinct handles; two members claiming one handle at once get 200 and 409.
- `@handle` of a current member at a word boundary is stored as `<@id>` and is a mention (it wakes
  the agent's `mentions_only` socket), on send over REST and WebSocket and on edit; an email
  address, an unknown `@word` or a former member's handle stays text.
"""

from __future__ import annotations

import re
import secrets
from concurrent.futures import ThreadPoolExecutor

from conftest import assert_problem, strong_password
from helpers_agents import audit_entries, bearer, create_agent_ok
from helpers_identity import accept_signup, create_invite_ok, create_workspace, field_errors, signup_via_invite, unique_email
from helpers_messaging import (API, add_member_ok, agent_key, create_channel_ok, is_event, message_events, open_stream, post_ok,
                               summarize, uid, unique)
# the module's fixtures
from helpers_messaging import general, server, server_survives, streams, team  # noqa: F401

HANDLE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,31}$")


def listing(client, headers, ws: str) -> dict[str, dict]:
    r = client.get(f"{API}/workspaces/{ws}/members", params={"limit": 200}, headers=headers)
    assert r.status_code == 200, f"GET members: {r.status_code} {r.text}"
    return {m["id"]: m for m in r.json()["data"]}


def handle_of(client, headers, ws: str, member_id: str) -> str:
    return listing(client, headers, ws)[member_id]["handle"]


def patch_member(client, headers, ws: str, member_id: str, body: dict):
    return client.patch(f"{API}/workspaces/{ws}/members/{member_id}", json=body, headers=headers)


def patch_agent(client, headers, ws: str, agent_id: str, body: dict):
    return client.patch(f"{API}/workspaces/{ws}/agents/{agent_id}", json=body, headers=headers)


def fresh_workspace(client, owner: dict, **people: tuple[str, str]) -> dict:
    """A new workspace of the owner, and people who signed up into it: {tag: (role, name)}."""
    ws = create_workspace(client, owner["headers"], "Handles " + secrets.token_hex(3))["id"]
    made = {"ws": ws, "owner": owner}
    for tag, (role, name) in people.items():
        invite = create_invite_ok(client, owner["headers"], ws, role)
        made[tag] = signup_via_invite(client, invite["token"], tag, name=name)
    return made


def new_handle(tag: str = "h") -> str:
    return f"{tag}-{secrets.token_hex(4)}"


# ======================================================================================
# Derivation, uniqueness, listing
# ======================================================================================

def test_handles_are_derived_from_names_and_unique_per_workspace(client, owner):
    w = fresh_workspace(client, owner, zoe=("member", "Zoë O'Neil"), zoe2=("member", "zoe oneil"),
                        han=("viewer", "张伟"), long=("member", "A Very Long Display Name That Goes On And On"))
    ws = w["ws"]
    bot = create_agent_ok(client, owner["headers"], ws, "Deploy Bot")
    bot2 = create_agent_ok(client, owner["headers"], ws, "deploy bot")
    assert bot["handle"] == "deploy-bot" and bot2["handle"] == "deploy-bot-2", (bot, bot2)

    members = listing(client, owner["headers"], ws)
    assert members[uid(w["zoe"])]["handle"] == "zoe-oneil", members[uid(w["zoe"])]
    assert members[uid(w["zoe2"])]["handle"] == "zoe-oneil-2", members[uid(w["zoe2"])]
    assert members[uid(w["han"])]["handle"] == "member", members[uid(w["han"])]
    assert members[uid(w["long"])]["handle"] == "a-very-long-display-name-that-go", members[uid(w["long"])]
    assert members[bot["id"]]["handle"] == "deploy-bot" and members[bot["id"]]["kind"] == "agent", members[bot["id"]]
    for member in members.values():
        assert HANDLE.match(member["handle"]), member
        assert member["kind"] in ("human", "agent") and member["name"], member
    handles = [m["handle"] for m in members.values()]
    assert len(handles) == len(set(handles)), f"handles not unique in the workspace: {handles}"
    # The agent's own resource shows the handle too.
    r = client.get(f"{API}/workspaces/{ws}/agents/{bot['id']}", headers=owner["headers"])
    assert r.status_code == 200 and r.json()["handle"] == "deploy-bot", r.text

    # A person has a handle per workspace: in another workspace the plain one is free.
    other = create_workspace(client, owner["headers"], "Other " + secrets.token_hex(3))["id"]
    invite = create_invite_ok(client, owner["headers"], other, "member")
    r = client.post(f"{API}/invites/{invite['token']}/accept", headers=w["zoe2"]["headers"])
    assert r.status_code in (200, 201), f"accept a second workspace: {r.status_code} {r.text}"
    assert handle_of(client, owner["headers"], other, uid(w["zoe2"])) == "zoe-oneil"
    assert handle_of(client, owner["headers"], ws, uid(w["zoe2"])) == "zoe-oneil-2"


def test_people_joining_at_once_with_one_name_get_distinct_handles(server, client, owner):
    """Joins that derive the same handle at the same moment take turns (on PostgreSQL an advisory
    lock per workspace): every one succeeds, none with a handle another holds."""
    ws = create_workspace(client, owner["headers"], "Twins " + secrets.token_hex(3))["id"]
    invite = create_invite_ok(client, owner["headers"], ws, "member", max_uses=8)

    def join(_):
        with server.client() as c:
            return accept_signup(c, invite["token"], unique_email("twin"), strong_password(), "Twin Peak")

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(join, range(8)))
    assert [r.status_code for r in answers] == [201] * 8, [(r.status_code, r.text[:200]) for r in answers]
    twins = {r.json()["user_id"] for r in answers}
    handles = sorted(m["handle"] for m in listing(client, owner["headers"], ws).values() if m["id"] in twins)
    assert handles == sorted(["twin-peak"] + [f"twin-peak-{n}" for n in range(2, 9)]), handles


def test_two_members_claiming_one_handle_at_once_one_wins(server, client, owner):
    w = fresh_workspace(client, owner, a=("member", "Ann Racer"), b=("member", "Bea Racer"))
    ws = w["ws"]
    for _ in range(5):
        wanted = new_handle("race")

        def claim(who):
            with server.client() as c:
                return patch_member(c, w[who]["headers"], ws, uid(w[who]), {"handle": wanted})

        with ThreadPoolExecutor(max_workers=2) as pool:
            answers = list(pool.map(claim, ["a", "b"]))
        assert sorted(r.status_code for r in answers) == [200, 409], [(r.status_code, r.text[:200]) for r in answers]
        holders = [m["id"] for m in listing(client, owner["headers"], ws).values() if m["handle"] == wanted]
        winner = [who for who, r in zip(["a", "b"], answers) if r.status_code == 200][0]
        assert holders == [uid(w[winner])], holders


def test_members_list_is_readable_with_channels_read_or_members_read(client, team):
    ws = team["ws"]
    for scopes in (["channels:read"], ["members:read"]):
        key = agent_key(client, team, team["bot"]["id"], scopes)
        members = listing(client, bearer(key), ws)
        me = members[team["bot"]["id"]]
        assert set(me) >= {"id", "handle", "name", "kind", "role"} and me["kind"] == "agent", me
        person = members[uid(team["member"])]
        assert person["kind"] == "human" and person["name"] == "Person Member" and person["handle"] == "person-member", person
    key = agent_key(client, team, team["bot"]["id"], ["messages:read"])
    problem = assert_problem(client.get(f"{API}/workspaces/{ws}/members", headers=bearer(key)), 403)
    assert "members:read" in problem.get("detail", "") and "channels:read" in problem.get("detail", ""), problem


# ======================================================================================
# Changing a handle
# ======================================================================================

def test_patch_handle_rules(client, owner):
    w = fresh_workspace(client, owner, admin=("admin", "Ada Admin"), mia=("member", "Mia Member"),
                        max=("member", "Max Member"), vic=("viewer", "Vic Viewer"))
    ws, o = w["ws"], owner["headers"]
    mia, max_, vic, admin = uid(w["mia"]), uid(w["max"]), uid(w["vic"]), uid(w["admin"])

    # Anyone their own: a member, a viewer.
    mine = new_handle("mia")
    r = patch_member(client, w["mia"]["headers"], ws, mia, {"handle": mine})
    assert r.status_code == 200 and r.json()["handle"] == mine, r.text
    r = patch_member(client, w["vic"]["headers"], ws, vic, {"handle": "vic.v"})
    assert r.status_code == 200 and r.json()["handle"] == "vic.v" and r.json()["role"] == "viewer", r.text
    # The same handle again changes nothing.
    r = patch_member(client, w["vic"]["headers"], ws, vic, {"handle": "vic.v"})
    assert r.status_code == 200 and r.json()["handle"] == "vic.v", r.text

    # Not another person's, unless admin or owner.
    assert_problem(patch_member(client, w["vic"]["headers"], ws, mia, {"handle": new_handle()}), 403)
    assert_problem(patch_member(client, w["max"]["headers"], ws, admin, {"handle": new_handle()}), 403)
    r = patch_member(client, w["admin"]["headers"], ws, max_, {"handle": "maximilian"})
    assert r.status_code == 200 and r.json()["handle"] == "maximilian", r.text
    r = patch_member(client, o, ws, admin, {"handle": "ada"})
    assert r.status_code == 200 and r.json()["handle"] == "ada", r.text
    assert handle_of(client, o, ws, mia) == mine

    # Taken → 409, nothing changes.
    problem = assert_problem(patch_member(client, w["vic"]["headers"], ws, vic, {"handle": mine}), 409)
    assert "handle" in problem.get("detail", ""), problem
    assert handle_of(client, o, ws, vic) == "vic.v"

    # Invalid or reserved → 422 naming `handle`.
    for bad in ("Mia", "-mia", "mia mia", "mia@x", "a" * 33, "", "channel", "usr_abcdefghij", 7, None):
        problem = assert_problem(patch_member(client, w["vic"]["headers"], ws, vic, {"handle": bad}), 422)
        if bad is not None:
            assert "handle" in field_errors(problem), (bad, problem)
    assert handle_of(client, o, ws, vic) == "vic.v"
    # An explicit null is no handle (the schema's type is string), also beside a valid role.
    problem = assert_problem(patch_member(client, o, ws, vic, {"handle": None, "role": "member"}), 422)
    assert field_errors(problem) == ["handle"], problem
    r = client.get(f"{API}/workspaces/{ws}/members", headers=o)
    assert [m["role"] for m in r.json()["data"] if m["id"] == vic] == ["viewer"], "a refused body changed the role"
    # Strict body and an empty one.
    problem = assert_problem(patch_member(client, w["vic"]["headers"], ws, vic, {"handle": "vic2", "nick": "v"}), 422)
    assert "nick" in field_errors(problem), problem
    assert_problem(patch_member(client, w["vic"]["headers"], ws, vic, {}), 422)

    # A role and a handle together: refused as a whole when the role change is.
    assert_problem(patch_member(client, w["max"]["headers"], ws, max_, {"role": "admin", "handle": "boss"}), 403)
    assert handle_of(client, o, ws, max_) == "maximilian"

    # A freed handle can be taken.
    r = patch_member(client, w["mia"]["headers"], ws, mia, {"handle": new_handle("mia")})
    assert r.status_code == 200, r.text
    r = patch_member(client, w["max"]["headers"], ws, max_, {"handle": mine})
    assert r.status_code == 200 and r.json()["handle"] == mine, r.text

    # Audited, with ids only (a handle is made from a name; the chain cannot be edited).
    entries = audit_entries(client, o, ws, "member.handle_changed")
    targets = [e["target"] for e in entries]
    assert targets.count(mia) == 2 and targets.count(vic) == 1 and targets.count(max_) == 2 and admin in targets, targets
    assert all(mine not in str(e) and "vic.v" not in str(e) for e in entries), entries
    own = [e for e in entries if e["target"] == vic][0]
    assert own["actor"]["id"] == vic and own["details"].get("own") is True, own


def test_agent_handles_are_changed_by_whoever_manages_the_agent(client, owner):
    w = fresh_workspace(client, owner, mia=("member", "Mia Member"), max=("member", "Max Member"), admin=("admin", "Ada Admin"))
    ws = w["ws"]
    agent = create_agent_ok(client, w["mia"]["headers"], ws, "Helper")
    assert agent["handle"] == "helper", agent

    # Its creator, through PATCH agent or PATCH member.
    r = patch_agent(client, w["mia"]["headers"], ws, agent["id"], {"handle": "mias-helper"})
    assert r.status_code == 200 and r.json()["handle"] == "mias-helper", r.text
    r = patch_member(client, w["mia"]["headers"], ws, agent["id"], {"handle": "mias-helper.2"})
    assert r.status_code == 200 and r.json()["handle"] == "mias-helper.2" and r.json()["kind"] == "agent", r.text
    # An admin.
    r = patch_agent(client, w["admin"]["headers"], ws, agent["id"], {"handle": "helper", "description": "helps"})
    assert r.status_code == 200 and r.json()["handle"] == "helper" and r.json()["description"] == "helps", r.text
    # Not another member, by either route.
    assert_problem(patch_agent(client, w["max"]["headers"], ws, agent["id"], {"handle": "maxs-now"}), 403)
    assert_problem(patch_member(client, w["max"]["headers"], ws, agent["id"], {"handle": "maxs-now"}), 403)
    # Not the agent itself with its key (nor any API key).
    key = agent_key(client, {"owner": w["mia"], "ws": ws}, agent["id"], ["channels:read", "members:read"])
    assert_problem(patch_member(client, bearer(key), ws, agent["id"], {"handle": "free-at-last"}), 403)
    # Taken, invalid.
    problem = assert_problem(patch_agent(client, w["mia"]["headers"], ws, agent["id"], {"handle": handle_of(client, owner["headers"], ws, uid(w["max"]))}), 409)
    assert problem["status"] == 409
    problem = assert_problem(patch_agent(client, w["mia"]["headers"], ws, agent["id"], {"handle": "Helper!", "name": ""}), 422)
    assert {"handle", "name"} <= set(field_errors(problem)), problem
    assert handle_of(client, owner["headers"], ws, agent["id"]) == "helper"
    # Listed and read back.
    r = client.get(f"{API}/workspaces/{ws}/agents", headers=owner["headers"])
    assert [a["handle"] for a in r.json()["data"] if a["id"] == agent["id"]] == ["helper"], r.text


# ======================================================================================
# @handle in messages
# ======================================================================================

def bot_handle(client, team) -> str:
    """Gives the team's bot a handle of its own for this test and returns it."""
    handle = new_handle("bot")
    r = patch_agent(client, team["owner"]["headers"], team["ws"], team["bot"]["id"], {"handle": handle})
    assert r.status_code == 200 and r.json()["handle"] == handle, r.text
    return handle


def test_at_handle_mentions_and_wakes_a_mentions_only_agent(server, team, general, client, streams):
    bot = team["bot"]["id"]
    handle = bot_handle(client, team)
    key = agent_key(client, team, bot, ["messages:read", "channels:read"])
    quiet, _, _ = open_stream(server, key, mentions_only=True)
    streams(quiet)

    plain = post_ok(client, team["owner"]["headers"], general["id"], f"write to {handle}@example.com or @nobody-{secrets.token_hex(3)} " + unique())
    assert plain["mentions"] == [] and f"{handle}@example.com" in plain["text"] and "<@" not in plain["text"], plain
    sent = post_ok(client, team["owner"]["headers"], general["id"], f"hey @{handle}. can you look? " + unique())
    assert sent["text"].startswith(f"hey <@{bot}>. can you look? "), sent
    assert sent["mentions"] == [bot], sent

    frames = quiet.collect_until(is_event("message.created", id=sent["id"]), what="the @handle mention on mentions_only")
    woken = message_events(frames)
    assert [f["data"]["id"] for f in woken] == [sent["id"]], f"mentions_only delivered: {summarize(frames)}"
    assert woken[-1].get("mentioned") is True and woken[-1]["data"]["text"] == sent["text"], woken[-1]

    # Stored as sent back: the listing shows the `<@id>` form.
    r = client.get(f"{API}/channels/{general['id']}/messages", params={"after_seq": sent["seq"] - 1, "limit": 1}, headers=team["owner"]["headers"])
    assert r.status_code == 200 and r.json()["data"][0]["text"] == sent["text"], r.text


def test_at_handle_over_the_websocket_send(server, team, general, client, streams):
    bot = team["bot"]["id"]
    handle = bot_handle(client, team)
    mine, _, _ = open_stream(server, team["member"]["access_token"])
    streams(mine)
    mine.send({"type": "send", "channel_id": general["id"], "text": f"@{handle}: status?", "client_msg_id": unique("c")})
    ack = mine.wait_for(lambda f: f.get("type") in ("ack", "error"), what="ack")
    assert ack["type"] == "ack", ack
    assert ack["message"]["text"] == f"<@{bot}>: status?" and ack["message"]["mentions"] == [bot], ack


def test_editing_in_an_at_handle_mentions(server, team, general, client):
    bot = team["bot"]["id"]
    handle = bot_handle(client, team)
    sent = post_ok(client, team["member"]["headers"], general["id"], "draft " + unique())
    assert sent["mentions"] == [], sent
    r = client.patch(f"{API}/messages/{sent['id']}", json={"text": f"draft, cc @{handle}"}, headers=team["member"]["headers"])
    assert r.status_code == 200, r.text
    edited = r.json()
    assert edited["text"] == f"draft, cc <@{bot}>" and edited["mentions"] == [bot], edited


def test_only_current_members_handles_are_mentions(client, owner):
    w = fresh_workspace(client, owner, mia=("member", "Mia Member"), leo=("member", "Leo Leaver"))
    ws, o = w["ws"], owner["headers"]
    ch = create_channel_ok(client, o, ws)
    add_member_ok(client, o, ch["id"], uid(w["mia"]))
    leo = handle_of(client, o, ws, uid(w["leo"]))
    assert leo == "leo-leaver"
    sent = post_ok(client, w["mia"]["headers"], ch["id"], "ask @leo-leaver")
    assert sent["mentions"] == [uid(w["leo"])], sent

    r = client.delete(f"{API}/workspaces/{ws}/members/{uid(w['leo'])}", headers=w["leo"]["headers"])
    assert r.status_code == 204, r.text
    after = post_ok(client, w["mia"]["headers"], ch["id"], "ask @leo-leaver")
    assert after["text"] == "ask @leo-leaver" and after["mentions"] == [], after
    # A handle of another workspace's member is not one here either.
    other = fresh_workspace(client, owner, sam=("member", "Sam Elsewhere"))
    assert handle_of(client, o, other["ws"], uid(other["sam"])) == "sam-elsewhere"
    elsewhere = post_ok(client, w["mia"]["headers"], ch["id"], "ask @sam-elsewhere")
    assert elsewhere["mentions"] == [] and elsewhere["text"] == "ask @sam-elsewhere", elsewhere
