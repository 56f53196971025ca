"""PostgreSQL under adverse conditions, with the real binary: a LISTEN connection that the
network silently forgets (two servers on one database), and write transactions that PostgreSQL
aborts as deadlock victims. PostgreSQL only: SQLite has neither LISTEN nor deadlocks between
transactions (one writer)."""

from __future__ import annotations

import subprocess
import threading
import time

import pytest
from websockets.exceptions import ConnectionClosed

from conftest import BACKEND, assert_problem, create_owner, psql
from helpers_agents import bearer, create_agent_ok, create_key_ok
from helpers_identity import login_ok
from helpers_messaging import (API, MESSAGING_SERVER_ENV, UNAUTHORIZED, add_member_ok, create_channel_ok, list_messages,
                               open_stream, post, post_ok, wait_closed)
from test_scaleout import proxied_pair  # noqa: F401 (a fixture)

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="LISTEN/NOTIFY and deadlocks between writers exist only on PostgreSQL")

# A silent LISTEN connection is noticed within the probe interval plus its timeout (3 s + 4 s);
# this leaves room for a loaded machine, and is far below the 30 s the caches would otherwise keep
# a revoked credential (and an open socket, forever).
NOTICED_WITHIN = 12.0


def poll_until_refused(server, headers: dict, timeout: float) -> float:
    """Seconds until `server` answers GET /me with 401 for `headers`; fails after `timeout`."""
    started = time.monotonic()
    with server.client() as c:
        while True:
            status = c.get(f"{API}/me", headers=headers).status_code
            if status == 401:
                return time.monotonic() - started
            assert status == 200, f"GET /me answered {status}"
            assert time.monotonic() - started < timeout, f"still accepted {timeout:.0f}s after the revocation"
            time.sleep(0.25)


def test_a_server_whose_listen_connection_goes_silent_stops_trusting_revoked_credentials(proxied_pair):
    """B's LISTEN connections stay open but carry nothing (a NAT forgot them): a logout and a
    key revocation on A are never heard on B. B must notice the silence (a round trip on the
    LISTEN connection that does not come back), stop serving cached credentials, re-check its
    sockets, and so refuse both credentials within seconds; its sockets are closed 4401 and
    store nothing sent on them. (Before: B kept serving both from its cache for 30 s and its
    sockets forever.)"""
    a, b, proxy = proxied_pair
    owner = create_owner(a, "silent@example.com", "Silent")
    with a.client() as c:
        ch = create_channel_ok(c, owner["headers"], owner["workspace_id"])["id"]
        agent = create_agent_ok(c, owner["headers"], owner["workspace_id"], "Silent Bot")
        add_member_ok(c, owner["headers"], ch, agent["id"])
        key = create_key_ok(c, owner["headers"], owner["workspace_id"], agent["id"], ["messages:read", "messages:write"])
        second = login_ok(c, "silent@example.com", owner["password"])  # the session that will log out
    session_headers = bearer(second["access_token"])
    key_headers = bearer(key["key"])

    with b.client() as c:  # both credentials now cached on B
        assert c.get(f"{API}/me", headers=session_headers).status_code == 200
        assert c.get(f"{API}/me", headers=key_headers).status_code == 200
    by_session, _, _ = open_stream(b, second["access_token"])
    by_key, _, _ = open_stream(b, key["key"])
    try:
        assert proxy.silence_listen_connections() >= 1, "B has no LISTEN connection through the proxy"
        with a.client() as c:
            assert c.post(f"{API}/auth/logout", headers=session_headers).status_code in (200, 204)
            revoked = c.delete(f"{API}/workspaces/{owner['workspace_id']}/agents/{agent['id']}/keys/{key['id']}",
                               headers=owner["headers"])
            assert revoked.status_code in (200, 204), revoked.text

        poll_until_refused(b, session_headers, NOTICED_WITHIN)
        poll_until_refused(b, key_headers, NOTICED_WITHIN)

        for name, stream in (("session", by_session), ("key", by_key)):
            text = f"after-revocation-{name}"
            try:
                stream.send({"type": "send", "channel_id": ch, "text": text, "client_msg_id": text})
            except ConnectionClosed:
                pass  # already closed: nothing could be sent
            code, frames = wait_closed(stream.conn, timeout=NOTICED_WITHIN)
            assert code == UNAUTHORIZED, f"the {name}'s socket on B closed with {code}"
            assert not [f for f in frames if '"ack"' in f], f"a send on the revoked {name}'s socket was acknowledged"
        with a.client() as c:
            texts = [m["text"] for m in list_messages(c, owner["headers"], ch)]
        assert not [t for t in texts if t.startswith("after-revocation")], f"stored after the revocation: {texts}"
        assert b.running
    finally:
        by_session.close()
        by_key.close()


# --------------------------------------------------------------------------------------
# Deadlocks
# --------------------------------------------------------------------------------------

class PsqlSession:
    """One interactive psql session the test drives statement by statement (a transaction it
    holds open while the server works). Output goes to files, read back by marker."""

    def __init__(self, url: str, tmp_path):
        self.out_path = tmp_path / "psql.out"
        self.err_path = tmp_path / "psql.err"
        self.out = open(self.out_path, "w")
        self.err = open(self.err_path, "w")
        self.proc = subprocess.Popen(["psql", url, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"],
                                     stdin=subprocess.PIPE, stdout=self.out, stderr=self.err, text=True)

    def run(self, sql: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(sql + "\n")
        self.proc.stdin.flush()

    def wait_for(self, marker: str, timeout: float = 15.0) -> list[str]:
        """Echoes `marker` after what was sent so far and waits until psql printed it."""
        self.run(f"\\echo {marker}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = self.out_path.read_text().splitlines()
            if marker in lines:
                return lines
            assert self.proc.poll() is None, f"psql exited: {self.err_path.read_text()}"
            time.sleep(0.05)
        raise AssertionError(f"psql did not reach {marker!r}; stderr: {self.err_path.read_text()}")

    @property
    def errors(self) -> str:
        return self.err_path.read_text()

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=10)
            except Exception:
                self.proc.kill()
        self.out.close()
        self.err.close()


def waiting_on_a_lock(server, besides_pid: int) -> bool:
    """Whether one of the server's connections waits on a row lock."""
    rows = psql(server.database_url, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                     f"AND wait_event_type = 'Lock' AND pid <> {besides_pid}").stdout.strip()
    return int(rows) > 0


def test_a_deadlock_victim_write_is_run_again_and_never_a_500(make_server, tmp_path):
    """A real deadlock between the server's send and another transaction that takes the same two
    rows in the opposite order: the psql session holds the workspace row, the send locks its
    channel row and waits for the workspace row, then psql asks for the channel row. PostgreSQL
    aborts the transaction that waited longest (the server's) with 40P01; the server runs it
    again once psql has committed, and the client gets its 201. (Before: 500.)"""
    server = make_server(MESSAGING_SERVER_ENV)
    owner = create_owner(server, "deadlock@example.com", "Deadlock")
    ws = owner["workspace_id"]
    with server.client() as c:
        ch = create_channel_ok(c, owner["headers"], ws)["id"]
    session = PsqlSession(server.database_url, tmp_path)
    try:
        session.run("BEGIN;")
        session.run(f"UPDATE workspaces SET name = name WHERE id = '{ws}';")
        session.run("SELECT 'pid=' || pg_backend_pid();")
        lines = session.wait_for("workspace-locked")
        psql_pid = int(next(line for line in lines if line.startswith("pid="))[4:])

        answer = {}

        def send() -> None:
            with server.client() as c:
                answer["response"] = post(c, owner["headers"], ch, "through a deadlock")

        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        deadline = time.monotonic() + 15
        while not waiting_on_a_lock(server, psql_pid):
            assert time.monotonic() < deadline, "the send never waited for the workspace row"
            time.sleep(0.05)

        # The cycle: the send holds the channel row and waits for the workspace row.
        session.run(f"UPDATE channels SET topic = topic WHERE id = '{ch}';")
        session.wait_for("channel-locked", timeout=20)
        session.run("COMMIT;")
        session.wait_for("committed")
        sender.join(timeout=30)
        assert "deadlock" not in session.errors.lower(), f"psql was the victim, not the server: {session.errors}"
    finally:
        session.close()

    response = answer["response"]
    assert response.status_code == 201, f"{response.status_code} {response.text[:300]}"
    assert '"40P01"' in server.stdout, "the server's transaction was not the deadlock victim"
    with server.client() as c:
        assert [m["text"] for m in list_messages(c, owner["headers"], ch)] == ["through a deadlock"]


def test_a_write_aborted_on_every_attempt_is_a_retryable_503(make_server):
    """A transaction that PostgreSQL aborts every time (here a test-only trigger raising the
    deadlock SQLSTATE) is retried a few times, then answered 503 problem+json with Retry-After:
    a condition to wait out, not a server error. Nothing internal leaks. (Before: 500.)"""
    server = make_server(MESSAGING_SERVER_ENV)
    owner = create_owner(server, "busy@example.com", "Busy")
    with server.client() as c:
        ch = create_channel_ok(c, owner["headers"], owner["workspace_id"])["id"]
    server.sql("""
        CREATE FUNCTION conclave_test_abort() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'test: always the deadlock victim' USING ERRCODE = 'deadlock_detected'; END $$;
        CREATE TRIGGER conclave_test_abort BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION conclave_test_abort();
    """)
    with server.client() as c:
        response = post(c, owner["headers"], ch, "never stored")
        assert_problem(response, 503)
        assert int(response.headers["Retry-After"]) >= 1
        assert "deadlock" not in response.text.lower()

        server.sql("DROP TRIGGER conclave_test_abort ON messages")
        post_ok(c, owner["headers"], ch, "stored once the contention is gone")
        assert [m["text"] for m in list_messages(c, owner["headers"], ch)] == ["stored once the contention is gone"]
