"""Event-log retention (CONCLAVE_EVENT_RETENTION_HOURS): events older than the window are removed
from the log (messages stay), and a stream that would resume from before the removed part gets
`resume_failed` (long-poll: 410) instead of a silent gap; a cursor inside the window still replays.
Idempotency records older than their 24 h are removed by the same pass."""

from __future__ import annotations

import time

from conftest import create_owner
from helpers_messaging import API, MESSAGING_SERVER_ENV, channel_name, create_channel_ok, list_messages, open_stream, post_ok


def test_events_past_the_window_are_pruned_and_old_cursors_fail(make_server):
    server = make_server(dict(MESSAGING_SERVER_ENV, CONCLAVE_EVENT_RETENTION_HOURS="1"))
    owner = create_owner(server, "retention@example.com", "Retention")
    ws = owner["workspace_id"]
    with server.client() as c:
        ch = create_channel_ok(c, owner["headers"], ws, channel_name("old"))["id"]
        stream, ready, _ = open_stream(server, owner["access_token"])
        old_cursor = ready["cursor"]
        old = [post_ok(c, owner["headers"], ch, f"old {i}") for i in range(5)]
        # A cursor in the middle of the log: taken after the old messages' events.
        middle = stream.wait_for(lambda f: f.get("type") == "event" and f["data"].get("id") == old[-1]["id"])["cursor"]
        stream.close()
        new = [post_ok(c, owner["headers"], ch, f"new {i}") for i in range(3)]
        r = c.post(f"{API}/workspaces/{ws}/channels", json={"name": channel_name("idem")},
                   headers={**owner["headers"], "Idempotency-Key": "retention-1"})
        assert r.status_code == 201, r.text
    total = int(server.sql_rows(f"SELECT count(*) FROM events WHERE workspace_id = '{ws}'")[0][0])

    # Age everything up to the middle cursor's event past the window, then restart (pruning runs
    # a few seconds after start, and every ten minutes).
    server.stop()
    boundary = int(server.sql_rows(f"SELECT seq FROM events WHERE workspace_id = '{ws}' AND message_id = '{old[-1]['id']}' "
                                   f"AND type = 'message.created'")[0][0])
    server.sql(f"UPDATE events SET created_at = created_at - {2 * 3600 * 1000} WHERE workspace_id = '{ws}' AND seq <= {boundary}")
    server.sql(f"UPDATE idempotency_keys SET created_at = created_at - {25 * 3600 * 1000}")
    assert int(server.sql_rows("SELECT count(*) FROM idempotency_keys")[0][0]) >= 1
    server.start()
    deadline = time.monotonic() + 20
    while True:
        left = int(server.sql_rows(f"SELECT count(*) FROM events WHERE workspace_id = '{ws}'")[0][0])
        if left < total:
            break
        assert time.monotonic() < deadline, "nothing was pruned"
        time.sleep(0.5)
    assert left == total - boundary, f"{left} of {total} events left; the {boundary} aged ones should be gone"
    # Idempotency records past their 24 h went in the same pass.
    assert int(server.sql_rows("SELECT count(*) FROM idempotency_keys")[0][0]) == 0

    with server.client() as c:
        login = c.post(f"{API}/auth/login", json={"email": owner["email"], "password": owner["password"]}).json()
        token = login["access_token"]
        # From before the pruned part: resume_failed on the socket, 410 on long-poll.
        stream, _, early = open_stream(server, token, resume_from=old_cursor)
        stream.close()
        assert [f.get("type") for f in early][:1] == ["resume_failed"], early
        r = c.get(f"{API}/events", params={"after": old_cursor, "wait": 0}, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 410, r.text
        # From inside the window: exactly the newer events.
        stream, _, early = open_stream(server, token, resume_from=middle)
        frames = list(early)
        while len([f for f in frames if f.get("type") == "event"]) < 3:
            frames.append(stream.recv(timeout=10))
        stream.close()
        assert "resume_failed" not in [f.get("type") for f in frames]
        assert [f["data"]["id"] for f in frames if f.get("type") == "event"] == [m["id"] for m in new]
        # The messages themselves are not touched by event retention.
        assert len(list_messages(c, {"Authorization": f"Bearer {token}"}, ch)) == 8
