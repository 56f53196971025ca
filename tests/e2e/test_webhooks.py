"""Webhooks (contract "Webhooks" and its v1.1 additions) end to end, against receivers that are
small Python HTTP servers in this process: every delivery is checked with the PyPI
`standardwebhooks` verifier (and the SDK's `conclave.webhooks.verify`); retries after 500s and
timeouts keep the `webhook-id` and sign a fresh `webhook-timestamp`; `Retry-After` is honoured;
410 disables the endpoint; a redirect is not followed; a rotated secret signs with both secrets;
an agent's webhook sees only what the agent may see (and `mentions_only` only its mentions);
test deliveries, the delivery log (never a response body), dead letters and replay; SSRF: with
CONCLAVE_WEBHOOK_ALLOW_PRIVATE unset nothing connects to loopback, whatever name or literal
leads there; a server killed with deliveries queued loses none; two servers on one PostgreSQL
database deliver each event once.
"""

from __future__ import annotations

import json
import secrets
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

import httpx
import pytest
from standardwebhooks.webhooks import Webhook as StandardWebhook

from conftest import BACKEND, assert_problem, create_owner, running_server
from helpers_agents import audit_entries, create_agent_ok, create_key_ok
from helpers_identity import bearer
from helpers_messaging import (API, MESSAGING_SERVER_ENV, add_member_ok, build_team, create_channel_ok, post_ok,
                               uid, unique)

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "clients" / "python" / "src"))
import conclave.webhooks as sdk_webhooks  # noqa: E402

WEBHOOK_ENV = dict(MESSAGING_SERVER_ENV, CONCLAVE_WEBHOOK_ALLOW_PRIVATE="true", CONCLAVE_WEBHOOK_RETRY_BASE_MS="200")


# --------------------------------------------------------------------------------------
# Receivers
# --------------------------------------------------------------------------------------

class Receiver:
    """An HTTP server on 127.0.0.1 that records every POST (headers lower-cased, raw body, arrival
    time) and answers according to `plan(index)` → (status, headers, delay_seconds)."""

    def __init__(self, plan: Callable[[int], tuple[int, dict, float]] | None = None, port: int = 0):
        self.plan = plan or (lambda i: (200, {}, 0.0))
        self.requests: list[dict] = []
        self.cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.cond:
                    index = len(receiver.requests)
                    receiver.requests.append({"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body,
                                              "path": self.path, "at": time.time()})
                    receiver.cond.notify_all()
                status, headers, delay = receiver.plan(index)
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    answer = b"RECEIVER-RESPONSE-BODY-" + str(index).encode()
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:
                    pass

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook?token=receiver-query-token"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout: float = 15.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.requests) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"the receiver got {len(self.requests)} of {count} deliveries within {timeout}s"
                self.cond.wait(left)
            return list(self.requests)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class ConnectionRecorder:
    """A TCP listener that only counts the connections made to it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self):
        self.sock.close()


@pytest.fixture
def receiver():
    made: list[Receiver] = []

    def factory(plan=None, port: int = 0) -> Receiver:
        r = Receiver(plan, port)
        made.append(r)
        return r

    yield factory
    for r in made:
        r.close()


# --------------------------------------------------------------------------------------
# The shared server and people
# --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(conclave_bin):
    yield from running_server(WEBHOOK_ENV)


@pytest.fixture(scope="module")
def team(server):
    owner = create_owner(server, "owner@example.com", "Acme")
    return build_team(server, owner)


@pytest.fixture(scope="module")
def general(server, team):
    with server.client() as c:
        channel = create_channel_ok(c, team["owner"]["headers"], team["ws"], unique("general"))
        for who in ("admin", "member", "member2"):
            add_member_ok(c, team["owner"]["headers"], channel["id"], uid(team[who]))
        add_member_ok(c, team["owner"]["headers"], channel["id"], team["bot"]["id"])
    return channel


def hooks_url(ws: str) -> str:
    return f"{API}/workspaces/{ws}/webhooks"


def create_webhook(c: httpx.Client, headers: dict, ws: str, url: str, events=("message.created",), **extra) -> dict:
    r = c.post(hooks_url(ws), json={"url": url, "events": list(events), **extra}, headers=headers)
    assert r.status_code == 201, f"POST webhooks: {r.status_code} {r.text}"
    return r.json()


def deliveries(c: httpx.Client, headers: dict, ws: str, whk: str, **params) -> list[dict]:
    r = c.get(f"{hooks_url(ws)}/{whk}/deliveries", params=params, headers=headers)
    assert r.status_code == 200, f"GET deliveries: {r.status_code} {r.text}"
    return r.json()["data"]


def wait_until(check: Callable[[], object], timeout: float = 15.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def verified(request: dict, secret: str) -> dict:
    """The payload, checked by the standardwebhooks library and by the SDK."""
    payload = StandardWebhook(secret).verify(request["body"], request["headers"])
    sdk = sdk_webhooks.verify(request["body"], request["headers"], secret)
    assert sdk.id == request["headers"]["webhook-id"] and sdk.raw == payload
    return payload


def bodies(requests: list[dict]) -> list[dict]:
    return [json.loads(r["body"]) for r in requests]


# --------------------------------------------------------------------------------------
# Deliveries
# --------------------------------------------------------------------------------------

def test_a_message_is_delivered_signed_and_verifies_with_standardwebhooks(server, team, general, client, receiver):
    rx = receiver()
    hook = create_webhook(client, team["owner"]["headers"], team["ws"], rx.url)
    assert hook["id"].startswith("whk_") and hook["secret"].startswith("whsec_"), hook
    assert len(__import__("base64").b64decode(hook["secret"][len("whsec_"):])) == 32
    listed = client.get(f"{hooks_url(team['ws'])}/{hook['id']}", headers=team["owner"]["headers"]).json()
    assert "secret" not in listed and listed["url"] == rx.url and listed["disabled"] is False, listed

    msg = post_ok(client, team["member"]["headers"], general["id"], "hello hooks " + unique())
    [request] = rx.wait_for(1)
    payload = verified(request, hook["secret"])
    assert payload["type"] == "message.created", payload
    assert payload["data"]["id"] == msg["id"] and payload["data"]["text"] == msg["text"], payload
    assert payload["data"]["occurred_at"] and payload["data"]["cursor"].startswith("c1."), payload
    assert payload["timestamp"] == payload["data"]["occurred_at"]
    assert request["headers"]["webhook-id"].startswith("dlv_")
    assert abs(int(request["headers"]["webhook-timestamp"]) - time.time()) < 30
    assert request["path"] == "/hook?token=receiver-query-token"

    # the delivery log: delivered, status and latency, never the receiver's body
    log = wait_until(lambda: [d for d in deliveries(client, team["owner"]["headers"], team["ws"], hook["id"])
                              if d["status"] == "delivered"], what="the delivery to be logged")
    assert log[0]["id"] == request["headers"]["webhook-id"] and log[0]["response_status"] == 200, log
    assert log[0]["latency_ms"] is not None
    assert "RECEIVER-RESPONSE-BODY" not in json.dumps(log)
    rows = server.sql(f"SELECT * FROM webhook_deliveries WHERE webhook_id = '{hook['id']}'").stdout
    assert "RECEIVER-RESPONSE-BODY" not in rows and msg["text"] not in rows, "the queue keeps a copy of a body"

    # the secret is sealed at rest; audit entries name ids only
    stored = server.sql(f"SELECT secret FROM webhooks WHERE id = '{hook['id']}'").stdout
    assert hook["secret"][len("whsec_"):] not in stored
    [created] = audit_entries(client, team["owner"]["headers"], team["ws"], "webhook.created")[-1:]
    assert created["target"] == hook["id"]
    assert "receiver-query-token" not in json.dumps(created) and hook["secret"] not in json.dumps(created)
    assert 'conclave_webhook_attempts_total{outcome="delivered"}' in client.get("/metrics").text
    logs = server.output
    assert "webhook delivery attempt" in logs
    for needle in ("receiver-query-token", hook["secret"], hook["secret"][len("whsec_"):], msg["text"]):
        assert needle not in logs, f"the server logged {needle[:12]}…"


def test_a_failed_attempt_is_retried_with_the_same_id_a_fresh_timestamp_and_retry_after(server, team, general, client,
                                                                                        receiver):
    # 503 with Retry-After: 2 first (the retry base is 200 ms here, so the wait is the receiver's), then 500, then 200
    plan = {0: (503, {"Retry-After": "2"}, 0.0), 1: (500, {}, 0.0)}
    rx = receiver(lambda i: plan.get(i, (200, {}, 0.0)))
    hook = create_webhook(client, team["owner"]["headers"], team["ws"], rx.url)
    post_ok(client, team["member"]["headers"], general["id"], "retry me " + unique())
    first, second, third = rx.wait_for(3, timeout=20)
    ids = {r["headers"]["webhook-id"] for r in (first, second, third)}
    assert len(ids) == 1, f"webhook-id changed across retries: {ids}"
    assert second["at"] - first["at"] >= 1.9, f"Retry-After: 2 not honoured ({second['at'] - first['at']:.2f}s)"
    assert int(second["headers"]["webhook-timestamp"]) > int(first["headers"]["webhook-timestamp"]), \
        "the timestamp was not signed fresh for the retry"
    for r in (first, second, third):
        verified(r, hook["secret"])
    assert first["body"] == third["body"]
    log = wait_until(lambda: [d for d in deliveries(client, team["owner"]["headers"], team["ws"], hook["id"])
                              if d["status"] == "delivered"])
    assert log[0]["attempt"] == 3 and log[0]["response_status"] == 200, log


def test_a_receiver_that_times_out_is_retried(server, team, general, client, receiver):
    rx = receiver(lambda i: (200, {}, 17.0) if i == 0 else (200, {}, 0.0))
    hook = create_webhook(client, team["owner"]["headers"], team["ws"], rx.url)
    post_ok(client, team["member"]["headers"], general["id"], "slow receiver " + unique())
    first, second = rx.wait_for(2, timeout=30)
    assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"]
    assert 14 <= second["at"] - first["at"] < 20, f"retried after {second['at'] - first['at']:.1f}s, not at the 15 s timeout"
    log = wait_until(lambda: [d for d in deliveries(client, team["owner"]["headers"], team["ws"], hook["id"])
                              if d["status"] == "delivered"])
    assert log[0]["attempt"] == 2, log


def test_410_disables_the_endpoint_and_the_dead_letter_is_listed(server, team, general, client, receiver):
    rx = receiver(lambda i: (410, {}, 0.0))
    hook = create_webhook(client, team["owner"]["headers"], team["ws"], rx.url)
    post_ok(client, team["member"]["headers"], general["id"], "gone " + unique())
    rx.wait_for(1)
    shown = wait_until(lambda: (lambda w: w if w["disabled"] else None)(
        client.get(f"{hooks_url(team['ws'])}/{hook['id']}", headers=team["owner"]["headers"]).json()), what="disabled")
    assert "410" in shown["disabled_reason"], shown
    post_ok(client, team["member"]["headers"], general["id"], "not delivered " + unique())
    failed = wait_until(lambda: deliveries(client, team["owner"]["headers"], team["ws"], hook["id"], status="failed"))
    assert failed[0]["status"] == "dead" and failed[0]["response_status"] == 410, failed
    time.sleep(1.0)
    assert len(rx.requests) == 1, "a disabled endpoint still received deliveries"


def test_a_redirect_is_not_followed(server, team, general, client, receiver):
    target = ConnectionRecorder()
    try:
        rx = receiver(lambda i: (302 if i == 0 else 200, {"Location": f"http://127.0.0.1:{target.port}/elsewhere"}, 0.0))
        hook = create_webhook(client, team["owner"]["headers"], team["ws"], rx.url)
        post_ok(client, team["member"]["headers"], general["id"], "redirect " + unique())
        rx.wait_for(2)  # the 302 counted as a failure and was retried to the same URL
        time.sleep(0.5)
        assert target.connections == 0, "the redirect was followed"
        log = deliveries(client, team["owner"]["headers"], team["ws"], hook["id"])
        assert log and log[0]["status"] == "delivered" and log[0]["attempt"] == 2, log
    finally:
        target.close()


def test_a_rotated_secret_signs_with_both_secrets(server, team, general, client, receiver):
    rx = receiver()
    hook = create_webhook(client, team["owner"]["headers"], team["ws"], rx.url)
    r = client.post(f"{hooks_url(team['ws'])}/{hook['id']}/rotate-secret", headers=team["owner"]["headers"])
    assert r.status_code == 200, r.text
    rotated = r.json()
    assert rotated["secret"] != hook["secret"] and rotated["previous_secret_expires_at"], rotated
    post_ok(client, team["member"]["headers"], general["id"], "rotation " + unique())
    [request] = rx.wait_for(1)
    assert len(request["headers"]["webhook-signature"].split(" ")) == 2, request["headers"]["webhook-signature"]
    verified(request, hook["secret"])
    verified(request, rotated["secret"])
    assert audit_entries(client, team["owner"]["headers"], team["ws"], "webhook.secret_rotated")[-1]["target"] == hook["id"]


def test_test_delivery_and_replay_keep_the_id(server, team, client, receiver):
    rx = receiver()
    hook = create_webhook(client, team["owner"]["headers"], team["ws"], rx.url)
    r = client.post(f"{hooks_url(team['ws'])}/{hook['id']}/test", headers=team["owner"]["headers"])
    assert r.status_code == 202, r.text
    queued = r.json()
    [first] = rx.wait_for(1)
    assert verified(first, hook["secret"])["type"] == "webhook.test"
    assert first["headers"]["webhook-id"] == queued["id"]
    wait_until(lambda: deliveries(client, team["owner"]["headers"], team["ws"], hook["id"])[0]["status"] == "delivered")
    r = client.post(f"{hooks_url(team['ws'])}/{hook['id']}/deliveries/{queued['id']}/replay", headers=team["owner"]["headers"])
    assert r.status_code == 202, r.text
    _, again = rx.wait_for(2)
    assert again["headers"]["webhook-id"] == queued["id"] and again["body"] == first["body"]
    verified(again, hook["secret"])


# --------------------------------------------------------------------------------------
# Who may manage webhooks, and what an agent's webhook sees
# --------------------------------------------------------------------------------------

def test_who_may_manage_webhooks(server, team, client):
    ws = team["ws"]
    body = {"url": "http://127.0.0.1:9/x", "events": ["message.created"]}
    assert_problem(client.post(hooks_url(ws), json=body, headers=team["member"]["headers"]), 403)
    assert_problem(client.post(hooks_url(ws), json=body, headers=team["outsider"]["headers"]), 404)
    assert_problem(client.post(hooks_url(ws), json=dict(body, url="ftp://x/"), headers=team["owner"]["headers"]), 422)
    assert_problem(client.post(hooks_url(ws), json=dict(body, events=["nope"]), headers=team["owner"]["headers"]), 422)
    assert_problem(client.post(hooks_url(ws), json=dict(body, extra=1), headers=team["owner"]["headers"]), 422)
    bot = create_agent_ok(client, team["owner"]["headers"], ws, "Hook Bot " + unique())
    other = create_agent_ok(client, team["owner"]["headers"], ws, "Other Bot " + unique())
    no_scope = create_key_ok(client, team["owner"]["headers"], ws, bot["id"], ["messages:read"])["key"]
    assert_problem(client.post(hooks_url(ws), json=body, headers=bearer(no_scope)), 403)
    key = create_key_ok(client, team["owner"]["headers"], ws, bot["id"], ["webhooks:manage"])["key"]
    assert_problem(client.post(hooks_url(ws), json=dict(body, agent_id=other["id"]), headers=bearer(key)), 403)
    own = client.post(hooks_url(ws), json=body, headers=bearer(key))
    assert own.status_code == 201 and own.json()["agent_id"] == bot["id"], own.text
    admins = create_webhook(client, team["admin"]["headers"], ws, "http://127.0.0.1:9/admin")
    listed = [w["id"] for w in client.get(hooks_url(ws), headers=bearer(key)).json()["data"]]
    assert listed == [own.json()["id"]], "an agent sees webhooks that are not its own"
    assert_problem(client.get(f"{hooks_url(ws)}/{admins['id']}", headers=bearer(key)), 404)
    r = client.patch(f"{hooks_url(ws)}/{admins['id']}", json={"disabled": True}, headers=team["admin"]["headers"])
    assert r.status_code == 200 and r.json()["disabled"] is True, r.text
    assert client.delete(f"{hooks_url(ws)}/{admins['id']}", headers=team["owner"]["headers"]).status_code == 204
    assert_problem(client.get(f"{hooks_url(ws)}/{admins['id']}", headers=team["owner"]["headers"]), 404)
    assert [e["target"] for e in audit_entries(client, team["owner"]["headers"], ws, "webhook.deleted")][-1] == admins["id"]


def test_an_agent_webhook_sees_what_the_agent_may_see_and_mentions_only(server, team, general, client, receiver):
    ws = team["ws"]
    bot = team["bot"]
    everything, mentions = receiver(), receiver()
    key = create_key_ok(client, team["owner"]["headers"], ws, bot["id"],
                        ["webhooks:manage", "messages:read", "channels:read"])["key"]
    all_hook = create_webhook(client, bearer(key), ws, everything.url, events=["*"])
    mention_hook = create_webhook(client, bearer(key), ws, mentions.url, events=["message.created"], mentions_only=True)
    secret_channel = create_channel_ok(client, team["owner"]["headers"], ws, private=True)
    add_member_ok(client, team["owner"]["headers"], secret_channel["id"], uid(team["member"]))
    hidden = post_ok(client, team["member"]["headers"], secret_channel["id"], "private words " + unique())
    plain = post_ok(client, team["member"]["headers"], general["id"], "no mention " + unique())
    mentioning = post_ok(client, team["member"]["headers"], general["id"], f"hey <@{bot['id']}> " + unique())
    got = wait_until(lambda: [b for b in bodies(everything.requests) if b["data"].get("id") == mentioning["id"]])
    seen = json.dumps(bodies(everything.requests))
    assert hidden["id"] not in seen and "private words" not in seen and secret_channel["id"] not in seen, \
        "an agent's webhook delivered a private channel the agent is not in"
    assert plain["id"] in seen and got[0]["data"]["mentioned"] is True
    [woken] = mentions.wait_for(1)
    assert verified(woken, mention_hook["secret"])["data"]["id"] == mentioning["id"]
    time.sleep(1.0)
    assert len(mentions.requests) == 1, "a mentions_only webhook delivered a message without a mention"
    verified(everything.requests[0], all_hook["secret"])


# --------------------------------------------------------------------------------------
# SSRF, durability, two servers
# --------------------------------------------------------------------------------------

def test_private_addresses_are_refused_without_the_flag_whatever_the_name(make_server, client):
    srv = make_server(dict(MESSAGING_SERVER_ENV, CONCLAVE_WEBHOOK_RETRY_BASE_MS="200"))
    owner = create_owner(srv, "owner@example.com", "Acme")
    recorder = ConnectionRecorder()
    try:
        with srv.client() as c:
            hooks = [create_webhook(c, owner["headers"], owner["workspace_id"], url, events=["*"]) for url in (
                f"http://127.0.0.1:{recorder.port}/a",
                f"http://localhost:{recorder.port}/b",  # a name that resolves to loopback (DNS rebinding's end state)
                f"http://[::ffff:127.0.0.1]:{recorder.port}/c",  # IPv4-mapped IPv6
                f"http://[::1]:{recorder.port}/d",
                f"http://169.254.169.254:{recorder.port}/metadata",
            )]
            for hook in hooks:
                r = c.post(f"{hooks_url(owner['workspace_id'])}/{hook['id']}/test", headers=owner["headers"])
                assert r.status_code == 202, r.text
            for hook in hooks:
                log = wait_until(lambda: [d for d in deliveries(c, owner["headers"], owner["workspace_id"], hook["id"])
                                          if d["attempt"] >= 1], what="an attempt")
                assert log[0]["status"] == "pending" and log[0]["response_status"] is None, log
                assert "refused" in log[0]["error"], log
        assert recorder.connections == 0, "a delivery connected to a loopback address"
    finally:
        recorder.close()


def test_a_server_killed_with_deliveries_queued_loses_none(make_server, receiver):
    srv = make_server(WEBHOOK_ENV)
    owner = create_owner(srv, "owner@example.com", "Acme")
    # a port with nothing listening yet: every attempt fails and stays queued
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    with srv.client() as c:
        channel = create_channel_ok(c, owner["headers"], owner["workspace_id"])
        hook = create_webhook(c, owner["headers"], owner["workspace_id"], f"http://127.0.0.1:{port}/hook")
        sent = [post_ok(c, owner["headers"], channel["id"], f"queued {i} " + unique())["id"] for i in range(12)]
        wait_until(lambda: deliveries(c, owner["headers"], owner["workspace_id"], hook["id"], status="failed"),
                   what="a failed attempt")
    srv.kill()
    rx = receiver(port=port)
    srv.start()
    got = lambda: {json.loads(r["body"])["data"]["id"]: r["headers"]["webhook-id"] for r in rx.requests}  # noqa: E731
    wait_until(lambda: set(got()) >= set(sent), timeout=30, what="every queued message to arrive")
    by_message = got()
    assert len(set(by_message[m] for m in sent)) == len(sent)
    order = [json.loads(r["body"])["data"]["id"] for r in rx.requests]
    deduped = list(dict.fromkeys(order))
    assert deduped == sent, "deliveries to one endpoint arrived out of order"
    for r in rx.requests:
        verified(r, hook["secret"])


@pytest.mark.skipif(BACKEND != "postgres", reason="several servers share one database only on PostgreSQL")
def test_two_servers_on_one_database_deliver_each_event_once(make_server, receiver):
    shared = dict(WEBHOOK_ENV, CONCLAVE_PUBLIC_URL="http://conclave.test", CONCLAVE_JWT_SECRET=secrets.token_urlsafe(40),
                  CONCLAVE_MASTER_KEY=secrets.token_urlsafe(40))
    a = make_server(shared)
    b = make_server(dict(shared, CONCLAVE_DATABASE_URL=a.database_url))
    owner = create_owner(a, "owner@example.com", "Acme")
    rx = receiver(lambda i: (200, {}, 0.05))
    with a.client() as c:
        channel = create_channel_ok(c, owner["headers"], owner["workspace_id"])
        create_webhook(c, owner["headers"], owner["workspace_id"], rx.url)
        sent = [post_ok(c, owner["headers"], channel["id"], f"once {i} " + unique())["id"] for i in range(30)]
    wait_until(lambda: len(rx.requests) >= len(sent), timeout=30)
    time.sleep(2.0)
    ids = [r["headers"]["webhook-id"] for r in rx.requests]
    assert len(ids) == len(set(ids)) == len(sent), f"{len(ids)} requests for {len(sent)} events"
    assert [json.loads(r["body"])["data"]["id"] for r in rx.requests] == sent
    assert b.running


def test_a_server_killed_during_an_attempt_sends_it_again_with_the_same_id(make_server, receiver):
    # the first attempt is held open by the receiver; the server dies with it in flight
    rx = receiver(lambda i: (200, {}, 8.0) if i == 0 else (200, {}, 0.0))
    srv = make_server(WEBHOOK_ENV)
    owner = create_owner(srv, "owner@example.com", "Acme")
    with srv.client() as c:
        channel = create_channel_ok(c, owner["headers"], owner["workspace_id"])
        hook = create_webhook(c, owner["headers"], owner["workspace_id"], rx.url)
        msg = post_ok(c, owner["headers"], channel["id"], "in flight " + unique())
    [first] = rx.wait_for(1)
    srv.kill()
    srv.start()
    # SQLite: the one process releases its dead predecessor's leases at start; PostgreSQL: the 60 s lease expires
    _, again = rx.wait_for(2, timeout=20 if BACKEND == "sqlite" else 90)
    assert again["headers"]["webhook-id"] == first["headers"]["webhook-id"]
    assert verified(again, hook["secret"])["data"]["id"] == msg["id"]


def self_signed_https_receiver(tmp_path) -> tuple[ThreadingHTTPServer, list]:
    import datetime as dt
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .sign(key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    seen: list = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            seen.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, seen


def test_an_https_receiver_with_an_untrusted_certificate_gets_nothing(server, team, client, tmp_path):
    httpd, seen = self_signed_https_receiver(tmp_path)
    try:
        port = httpd.server_address[1]
        hook = create_webhook(client, team["owner"]["headers"], team["ws"], f"https://localhost:{port}/hook")
        assert client.post(f"{hooks_url(team['ws'])}/{hook['id']}/test", headers=team["owner"]["headers"]).status_code == 202
        log = wait_until(lambda: [d for d in deliveries(client, team["owner"]["headers"], team["ws"], hook["id"])
                                  if d["attempt"] >= 1], what="an attempt")
        assert log[0]["status"] == "pending" and "TLS" in log[0]["error"], log
        assert seen == [], "a delivery was sent over TLS to a certificate no trusted root issued"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_delivery_failing_for_three_days_is_dead_and_replay_sends_it(server, team, general, client, receiver):
    answers = {"status": 500}
    rx = receiver(lambda i: (answers["status"], {}, 0.0))
    hook = create_webhook(client, team["owner"]["headers"], team["ws"], rx.url)
    post_ok(client, team["member"]["headers"], general["id"], "three days " + unique())
    rx.wait_for(1)
    # the delivery was queued three days and a minute ago (as if every retry since had failed)
    # (SQLite: wait for the server's writer rather than fail at once on its lock)
    server.sql(("PRAGMA busy_timeout = 10000; " if BACKEND == "sqlite" else "") + f"UPDATE webhook_deliveries SET created_at = created_at - {(3 * 24 * 3600 + 60) * 1000} "
               f"WHERE webhook_id = '{hook['id']}'")
    dead = wait_until(lambda: [d for d in deliveries(client, team["owner"]["headers"], team["ws"], hook["id"], status="failed")
                               if d["status"] == "dead"], what="the delivery to die")
    attempts = len(rx.requests)
    time.sleep(1.0)
    assert len(rx.requests) == attempts, "a dead delivery was still retried"
    answers["status"] = 200
    r = client.post(f"{hooks_url(team['ws'])}/{hook['id']}/deliveries/{dead[0]['id']}/replay", headers=team["owner"]["headers"])
    assert r.status_code == 202 and r.json()["status"] == "pending", r.text
    last = rx.wait_for(attempts + 1)[-1]
    assert last["headers"]["webhook-id"] == dead[0]["id"]
    wait_until(lambda: deliveries(client, team["owner"]["headers"], team["ws"], hook["id"])[0]["status"] == "delivered")
    assert deliveries(client, team["owner"]["headers"], team["ws"], hook["id"], status="failed") == []
    assert audit_entries(client, team["owner"]["headers"], team["ws"], "webhook.delivery_replayed")[-1]["target"] == hook["id"]


def test_a_webhook_created_with_a_key_delivers_only_what_the_key_may_read(server, team, general, client, receiver):
    ws = team["ws"]
    bot = team["bot"]
    rx = receiver()
    key = create_key_ok(client, team["owner"]["headers"], ws, bot["id"], ["webhooks:manage", "channels:read"])["key"]
    create_webhook(client, bearer(key), ws, rx.url, events=["*"])
    hidden = post_ok(client, team["member"]["headers"], general["id"], "needs messages:read " + unique())
    later = create_channel_ok(client, team["owner"]["headers"], ws)
    add_member_ok(client, team["owner"]["headers"], later["id"], bot["id"])
    # the join comes after the message in the log, so once it arrives the message was passed over
    wait_until(lambda: [b for b in bodies(rx.requests) if b["type"] == "member.joined" and b["data"].get("channel_id") == later["id"]],
               what="the bot's join to be delivered")
    seen = json.dumps(bodies(rx.requests))
    assert hidden["id"] not in seen and "message." not in seen, "a key without messages:read got messages through its webhook"


def test_a_paused_agents_webhook_waits_until_it_is_resumed(server, team, general, client, receiver):
    ws = team["ws"]
    bot = create_agent_ok(client, team["owner"]["headers"], ws, "Pausable " + unique())
    add_member_ok(client, team["owner"]["headers"], general["id"], bot["id"])
    rx = receiver()
    hook = create_webhook(client, team["owner"]["headers"], ws, rx.url, agent_id=bot["id"], mentions_only=True)
    agent_url = f"{API}/workspaces/{ws}/agents/{bot['id']}"
    assert client.patch(agent_url, json={"status": "paused"}, headers=team["owner"]["headers"]).status_code == 200
    mention = post_ok(client, team["member"]["headers"], general["id"], f"wake up <@{bot['id']}> " + unique())
    time.sleep(1.5)
    assert rx.requests == [], "a paused agent's webhook was delivered to"
    assert client.patch(agent_url, json={"status": "active"}, headers=team["owner"]["headers"]).status_code == 200
    [woken] = rx.wait_for(1)
    assert verified(woken, hook["secret"])["data"]["id"] == mention["id"]
