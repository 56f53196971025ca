"""Approval requests (contract v1.1 "Approval requests") end to end: an agent (or anyone who may
post) asks named people with `kind: approval_request`; only a named person answers, in a
signed-in session — agents never, whatever their scopes, over REST or the WebSocket; a second
answer is 409; `approval.resolved` reaches the requester even on a `mentions_only` stream; a
request past `expires_in` becomes `expired` on its own (the requester hears it); answers and
expiries are audited without the comment; deleting the message erases the request, the answer
and the comment from every row.

Independent clients only: httpx for REST, the `websockets` library for the sockets, sqlite3/psql
for the rows.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from conftest import assert_problem
from helpers_agents import audit_entries, create_key_ok
from helpers_identity import bearer
from helpers_messaging import API, channel_name, create_channel_ok, is_event, open_stream, post, post_ok, uid, unique
# the module's fixtures
from helpers_messaging import general, server, server_survives, streams, team  # noqa: F401

ALL_SCOPES = ["messages:read", "messages:write", "channels:read", "channels:write", "members:read"]


def h(team, who):
    return team[who]["headers"]


@pytest.fixture(scope="module")
def bot_key(server, team, general):
    """The agent's key with every scope an approval could be thought to need."""
    with server.client() as c:
        return create_key_ok(c, h(team, "owner"), team["ws"], team["bot"]["id"], ALL_SCOPES)["key"]


def ask(c: httpx.Client, headers: dict, channel_id: str, approvers: list[str], text: str | None = None, **approval) -> dict:
    return post_ok(c, headers, channel_id, text or "May I deploy? " + unique(), kind="approval_request",
                   approval={"approvers": approvers, **approval})


def answer(c: httpx.Client, headers: dict, message_id: str, choice: str, **extra) -> httpx.Response:
    return c.post(f"{API}/messages/{message_id}/approval", headers=headers, json={"choice": choice, **extra})


def ok(r: httpx.Response) -> dict:
    assert r.status_code == 200, f"{r.request.method} {r.request.url.path}: {r.status_code} {r.text[:300]}"
    return r.json()


def message(c: httpx.Client, headers: dict, channel_id: str, message_id: str) -> dict:
    r = c.get(f"{API}/channels/{channel_id}/messages", headers=headers, params={"limit": 200})
    assert r.status_code == 200, r.text
    return {m["id"]: m for m in r.json()["data"]}[message_id]


def test_an_agents_request_answered_by_a_named_person_wakes_the_agent(server, team, general, client, bot_key, streams):
    waiting = streams(open_stream(server, bot_key, mentions_only=True)[0])
    asked = ask(client, bearer(bot_key), general["id"], [uid(team["member"]), uid(team["admin"])], expires_in=3600)
    assert asked["kind"] == "approval_request", asked
    pending = asked["approval"]
    assert pending["status"] == "pending" and pending["options"] == ["approve", "deny"], pending
    assert pending["approvers"] == [uid(team["member"]), uid(team["admin"])] and pending["expires_at"], pending
    assert pending["by"] is None and pending["at"] is None and pending["comment"] is None, pending

    body = ok(answer(client, h(team, "member"), asked["id"], "approve", comment="Go ahead, after 5pm"))
    done = body["approval"]
    assert done["status"] == "approved" and done["by"] == uid(team["member"]) and done["at"], done
    assert done["comment"] == "Go ahead, after 5pm", done
    assert message(client, h(team, "owner"), general["id"], asked["id"])["approval"] == done

    resolved = waiting.wait_for(is_event("approval.resolved", message_id=asked["id"]), what="approval.resolved on the agent's mentions_only stream")
    assert resolved["data"]["requester_id"] == team["bot"]["id"] and resolved["data"]["approval"] == done, resolved

    # one answer only: the other approver, or the same again, is refused and nothing changes
    assert_problem(answer(client, h(team, "admin"), asked["id"], "deny"), 409)
    assert_problem(answer(client, h(team, "member"), asked["id"], "deny"), 409)
    assert message(client, h(team, "owner"), general["id"], asked["id"])["approval"] == done

    entries = [e for e in audit_entries(client, h(team, "owner"), team["ws"], "approval.answered") if e.get("target") == asked["id"]]
    assert len(entries) == 1 and entries[0]["actor"]["id"] == uid(team["member"]), entries
    assert "5pm" not in str(entries[0]), f"the comment reached the audit log: {entries[0]}"


def test_agents_and_keys_never_answer_whatever_their_scopes(server, team, general, client, bot_key, streams):
    asked = ask(client, h(team, "owner"), general["id"], [uid(team["member"])])
    # the agent may post, read, everything its key allows: it still cannot answer
    body = assert_problem(answer(client, bearer(bot_key), asked["id"], "approve"), 403)
    assert "agent" in body.get("detail", "") or "API key" in body.get("detail", ""), body
    # nor over its socket (a send frame cannot answer, and no frame type does)
    sock = streams(open_stream(server, bot_key)[0])
    sock.send({"type": "approve", "message_id": asked["id"], "choice": "approve"})
    error = sock.wait_for(lambda f: f.get("type") == "error", what="an error for an unknown frame")
    assert error["status"] == 400, error
    # a person not named, a viewer, another workspace's member
    assert_problem(answer(client, h(team, "member2"), asked["id"], "approve"), 403)
    assert_problem(answer(client, h(team, "viewer"), asked["id"], "approve"), 403)
    assert_problem(answer(client, h(team, "outsider"), asked["id"], "approve"), 404)
    # nothing was answered
    assert message(client, h(team, "owner"), general["id"], asked["id"])["approval"]["status"] == "pending"
    assert ok(answer(client, h(team, "member"), asked["id"], "deny"))["approval"]["status"] == "denied"


def test_concurrent_answers_make_one_answer(server, team, general, client):
    asked = ask(client, h(team, "owner"), general["id"], [uid(team["member"]), uid(team["admin"])])

    def go(who_choice):
        who, choice = who_choice
        with server.client() as c:
            return answer(c, h(team, who), asked["id"], choice).status_code
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(go, [("member", "approve"), ("admin", "deny")] * 4))
    assert sorted(codes) == [200] + [409] * 7, codes
    events = server.sql_rows(f"SELECT COUNT(*) FROM events WHERE type = 'approval.resolved' AND message_id = '{asked['id']}'")
    assert events == [["1"]], events


def test_custom_options_and_their_status(server, team, general, client):
    asked = ask(client, h(team, "owner"), general["id"], [uid(team["admin"])], options=["ship", "hold", "rollback"])
    assert asked["approval"]["options"] == ["ship", "hold", "rollback"]
    problem = assert_problem(answer(client, h(team, "admin"), asked["id"], "approve"), 422)
    assert "choice" in [e["field"] for e in problem["errors"]], problem
    assert ok(answer(client, h(team, "admin"), asked["id"], "hold"))["approval"]["status"] == "hold"


def test_a_request_expires_and_its_requester_hears_it(server, team, general, client, bot_key, streams):
    waiting = streams(open_stream(server, bot_key, mentions_only=True)[0])
    asked = ask(client, bearer(bot_key), general["id"], [uid(team["member"])], expires_in=2)
    resolved = waiting.wait_for(is_event("approval.resolved", message_id=asked["id"]), timeout=15,
                                what="approval.resolved (expired) on the requester's stream")
    assert resolved["data"]["approval"]["status"] == "expired", resolved
    assert message(client, h(team, "owner"), general["id"], asked["id"])["approval"]["status"] == "expired"
    assert_problem(answer(client, h(team, "member"), asked["id"], "approve"), 409)
    entries = [e for e in audit_entries(client, h(team, "owner"), team["ws"], "approval.expired") if e.get("target") == asked["id"]]
    assert len(entries) == 1 and entries[0]["actor"]["kind"] == "system", entries


def test_asking_over_the_websocket(server, team, general, client, bot_key, streams):
    sock = streams(open_stream(server, bot_key)[0])
    sock.send({"type": "send", "channel_id": general["id"], "text": "Restart the cluster?", "client_msg_id": "ask-1",
               "kind": "approval_request", "approval": {"approvers": [uid(team["owner"])], "expires_in": 600}})
    ack = sock.wait_for(lambda f: f.get("type") in ("ack", "error"), what="ack")
    assert ack["type"] == "ack", ack
    assert ack["message"]["approval"]["status"] == "pending" and ack["message"]["approval"]["approvers"] == [uid(team["owner"])]
    sock.send({"type": "send", "channel_id": general["id"], "text": "bad", "kind": "approval_request",
               "approval": {"approvers": "everyone"}})
    error = sock.wait_for(lambda f: f.get("type") == "error", what="error for a malformed approval")
    assert error["status"] == 422, error


@pytest.mark.parametrize("extra, field", [
    ({"kind": "approval_request"}, "approval"),
    ({"approval": {"approvers": ["usr_aaaaaaaaaaaa"]}}, "approval"),
    ({"kind": "approval_request", "approval": {"approvers": []}}, "approval.approvers"),
    ({"kind": "approval_request", "approval": {"approvers": ["agt_aaaaaaaaaaaa"]}}, "approval.approvers"),
    ({"kind": "approval_request", "approval": {"approvers": ["usr_aaaaaaaaaaaa", "usr_aaaaaaaaaaaa"]}}, "approval.approvers"),
    ({"kind": "approval_request", "approval": {"approvers": ["usr_aaaaaaaaaaaa"], "options": ["ok"]}}, "approval.options"),
    ({"kind": "approval_request", "approval": {"approvers": ["usr_aaaaaaaaaaaa"], "options": ["pending", "x"]}}, "approval.options"),
    ({"kind": "approval_request", "approval": {"approvers": ["usr_aaaaaaaaaaaa"], "options": ["a\nb", "c"]}}, "approval.options"),
    ({"kind": "approval_request", "approval": {"approvers": ["usr_aaaaaaaaaaaa"], "expires_in": 0}}, "approval.expires_in"),
    ({"kind": "approval_request", "approval": {"approvers": ["usr_aaaaaaaaaaaa"], "expires_in": 2592001}}, "approval.expires_in"),
    ({"kind": "approval_request", "approval": {"approvers": "usr_aaaaaaaaaaaa"}}, "approval.approvers"),
])
def test_bad_requests_are_422_naming_the_field(server, team, general, client, extra, field):
    problem = assert_problem(post(client, h(team, "owner"), general["id"], "ask " + unique(), **extra), 422)
    assert field in [e["field"] for e in problem.get("errors", [])], problem


def test_approvers_must_be_people_in_the_channel(server, team, general, client):
    private = create_channel_ok(client, h(team, "owner"), team["ws"], channel_name("ap-priv"), private=True)
    problem = assert_problem(post(client, h(team, "owner"), private["id"], "ask", kind="approval_request",
                                  approval={"approvers": [uid(team["member"])]}), 422)
    assert "approval.approvers" in [e["field"] for e in problem["errors"]], problem
    assert server.sql_rows(f"SELECT COUNT(*) FROM messages WHERE channel_id = '{private['id']}'") == [["0"]]


def test_answering_what_is_not_a_request(server, team, general, client):
    plain = post_ok(client, h(team, "owner"), general["id"], "just a message " + unique())
    assert "approval" not in plain
    assert_problem(answer(client, h(team, "member"), plain["id"], "approve"), 409)
    asked = ask(client, h(team, "owner"), general["id"], [uid(team["member"])])
    problem = assert_problem(answer(client, h(team, "member"), asked["id"], "approve", comment="x" * 1001), 422)
    assert "comment" in [e["field"] for e in problem["errors"]], problem
    assert_problem(answer(client, h(team, "member"), asked["id"], "approve", extra="field"), 422)


def test_deleting_the_request_erases_the_answer_and_comment_everywhere(server, team, general, client):
    secret = "approved because of ticket " + unique()
    asked = ask(client, h(team, "owner"), general["id"], [uid(team["member"])], expires_in=3600)
    ok(answer(client, h(team, "member"), asked["id"], "approve", comment=secret))
    assert client.delete(f"{API}/messages/{asked['id']}", headers=h(team, "owner")).status_code == 204
    gone = message(client, h(team, "owner"), general["id"], asked["id"])
    assert gone["deleted"] is True and gone["approval"] is None, gone
    assert_problem(answer(client, h(team, "member"), asked["id"], "deny"), 409)
    for table, column in (("messages", "approval"), ("events", "data"), ("audit_log", "details")):
        rows = server.sql_rows(f"SELECT COUNT(*) FROM {table} WHERE {column} LIKE '%{secret}%'")
        assert rows == [["0"]], f"the comment is still in {table}"
    assert server.sql_rows(f"SELECT COUNT(*) FROM approval_deadlines WHERE message_id = '{asked['id']}'") == [["0"]]
