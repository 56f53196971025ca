"""A message's text lives only where the message is, and goes when it goes (security review,
findings 3, 4 and 12), end to end against the real binary:

- An `Idempotency-Key` POST does not keep a copy of the message's text: a replay shows the message
  as it is now (the tombstone after a deletion, the new text after an edit), and neither the
  deleted nor the pre-edit text is in any file of the data directory (or PostgreSQL table).
- An edit rewrites the text in every earlier event of the message, so a stream resumed from an
  early cursor never shows the text before the edit; and a principal's replay of a channel never
  starts before it joined that channel, whatever cursor it presents.
- `client_msg_id` is unique per sender and channel: reusing one in another channel posts a new
  message there instead of handing back the first channel's message.
"""

from __future__ import annotations

import secrets

from conftest import assert_problem, create_owner
from helpers_agents import storage_blobs
from helpers_identity import create_invite_ok, signup_via_invite
from helpers_messaging import (API, MESSAGING_SERVER_ENV, add_member_ok, channel_name, create_channel_ok, is_event,
                               list_messages, open_stream, post, post_ok, uid)
# the module's fixtures
from helpers_messaging import server, server_survives, streams  # noqa: F401


def token(tag: str) -> str:
    return tag + secrets.token_hex(8).upper()


def assert_stored_only(srv, *, present: str, absent: str, what: str) -> None:
    """Stops the server, then scans every file of its data dir (and every PostgreSQL table):
    `present` must be found (the scan is not blind), `absent` nowhere."""
    assert srv.stop() == 0
    blobs = storage_blobs(srv)
    assert any(present.encode() in data for data in blobs.values()), f"the scan cannot find {present!r} (it is blind)"
    hits = [where for where, data in blobs.items() if absent.encode() in data]
    assert not hits, f"{what} survives in storage: {hits}"


def idempotent_post(c, headers, ch, body, key):
    return c.post(f"{API}/channels/{ch}/messages", json=body, headers={**headers, "Idempotency-Key": key})


def test_a_replayed_post_of_a_deleted_message_returns_the_tombstone_and_the_text_is_nowhere(make_server):
    srv = make_server(MESSAGING_SERVER_ENV)
    boss = create_owner(srv, "idem-erase@example.com", "IdemErase")
    doomed_text = token("DOOMEDIDEM")
    kept_text = token("KEPTIDEM")
    with srv.client() as c:
        hh = boss["headers"]
        ch = create_channel_ok(c, hh, boss["workspace_id"], channel_name("idem"))["id"]
        kept_key, doomed_key = token("k"), token("k")
        kept = idempotent_post(c, hh, ch, {"text": kept_text}, kept_key)
        assert kept.status_code == 201, kept.text
        doomed_body = {"text": doomed_text, "client_msg_id": token("c")}
        first = idempotent_post(c, hh, ch, doomed_body, doomed_key)
        assert first.status_code == 201, first.text
        doomed = first.json()
        r = c.delete(f"{API}/messages/{doomed['id']}", headers=hh)
        assert r.status_code == 204, r.text

        replay = idempotent_post(c, hh, ch, doomed_body, doomed_key)
        assert replay.status_code == 201, replay.text
        assert replay.headers.get("idempotent-replayed") == "true", dict(replay.headers)
        body = replay.json()
        assert body["id"] == doomed["id"] and body["seq"] == doomed["seq"], body
        assert body["text"] is None, f"the replay of a deleted message's POST shows its text: {body}"
        assert doomed_text not in replay.text

        # The kept message's replay is the message as it is.
        again = idempotent_post(c, hh, ch, {"text": kept_text}, kept_key)
        assert again.status_code == 201 and again.json()["text"] == kept_text, again.text
    assert_stored_only(srv, present=kept_text, absent=doomed_text, what="a deleted message's text")


def test_a_replayed_post_of_an_edited_message_shows_the_edit_not_the_original(make_server):
    srv = make_server(MESSAGING_SERVER_ENV)
    boss = create_owner(srv, "idem-edit@example.com", "IdemEdit")
    original, edited = token("ORIGINAL"), token("EDITED")
    with srv.client() as c:
        hh = boss["headers"]
        ch = create_channel_ok(c, hh, boss["workspace_id"], channel_name("idem"))["id"]
        key = token("k")
        first = idempotent_post(c, hh, ch, {"text": original}, key)
        assert first.status_code == 201, first.text
        r = c.patch(f"{API}/messages/{first.json()['id']}", json={"text": edited}, headers=hh)
        assert r.status_code == 200, r.text
        replay = idempotent_post(c, hh, ch, {"text": original}, key)
        assert replay.status_code == 201, replay.text
        assert replay.json()["text"] == edited, replay.json()
        assert original not in replay.text
    assert_stored_only(srv, present=edited, absent=original, what="the text before an edit")


def test_a_replay_after_the_sender_left_the_channel_is_404(make_server):
    srv = make_server(MESSAGING_SERVER_ENV)
    boss = create_owner(srv, "idem-left@example.com", "IdemLeft")
    with srv.client() as c:
        hh = boss["headers"]
        invite = create_invite_ok(c, hh, boss["workspace_id"], "member")
        member = signup_via_invite(c, invite["token"], "leaver")
        ch = create_channel_ok(c, hh, boss["workspace_id"], channel_name("priv"), private=True)["id"]
        add_member_ok(c, hh, ch, uid(member))
        body, key = {"text": token("SECRETPLAN")}, token("k")
        assert idempotent_post(c, member["headers"], ch, body, key).status_code == 201
        r = c.post(f"{API}/channels/{ch}/leave", headers=member["headers"])
        assert r.status_code == 204, r.text
        replay = idempotent_post(c, member["headers"], ch, body, key)
        assert_problem(replay, 404)
        assert body["text"] not in replay.text


def early_cursor(server, person) -> str:
    """A position in the log as of now (any cursor can be presented later)."""
    stream, ready, _ = open_stream(server, person["access_token"])
    stream.close()
    return ready["cursor"]


def test_an_edit_rewrites_the_text_in_every_earlier_event(server, owner, streams):
    with server.client() as c:
        hh = owner["headers"]
        cursor = early_cursor(server, owner)
        ch = create_channel_ok(c, hh, owner["workspace_id"], channel_name("edits"))["id"]
        original = token("PREEDIT")
        edited_msg = post_ok(c, hh, ch, original)
        r = c.patch(f"{API}/messages/{edited_msg['id']}", json={"text": token("POSTEDIT")}, headers=hh)
        assert r.status_code == 200, r.text
        edited_text = r.json()["text"]

        # A member all along resumes from before the message: it appears, never its text from
        # before the edit.
        stream, _, replayed = open_stream(server, owner["access_token"], resume_from=cursor)
        streams(stream)
        replayed += stream.collect_until(is_event("message.updated", id=edited_msg["id"]), what="the replayed edit")
        texts = [f["data"].get("text") for f in replayed if f.get("type") == "event" and f["data"].get("id") == edited_msg["id"]]
        assert len(texts) == 2 and set(texts) == {edited_text}, texts
        assert original not in str(replayed), "a replayed event still carries the text from before the edit"


def test_a_late_joiner_never_replays_a_channel_from_before_its_join(server, owner, streams):
    with server.client() as c:
        hh = owner["headers"]
        ws = owner["workspace_id"]
        late = signup_via_invite(c, create_invite_ok(c, hh, ws, "member")["token"], "latecomer")
        cursor = early_cursor(server, late)
        ch = create_channel_ok(c, hh, ws, channel_name("history"))["id"]
        before_join = post_ok(c, hh, ch, token("BEFOREJOIN"))
        add_member_ok(c, hh, ch, uid(late))
        after_join = post_ok(c, hh, ch, token("AFTERJOIN"))

        stream, _, replayed = open_stream(server, late["access_token"], resume_from=cursor)
        streams(stream)
        replayed += stream.collect_until(is_event("message.created", id=after_join["id"]), what="the message after the join")
        seen = {f["data"].get("id") for f in replayed if f.get("type") == "event" and f.get("channel_id") == ch}
        assert after_join["id"] in seen, f"the late joiner's replay lacks what came after its join: {seen}"
        assert before_join["id"] not in seen, "the late joiner replayed a message from before it joined the channel"
        # REST is unchanged: a member reads the channel's history (as in Slack).
        assert before_join["id"] in {m["id"] for m in list_messages(c, late["headers"], ch)}


def test_client_msg_id_is_scoped_to_its_channel(server, owner):
    with server.client() as c:
        hh = owner["headers"]
        ws = owner["workspace_id"]
        first_ch = create_channel_ok(c, hh, ws, channel_name("one"))["id"]
        second_ch = create_channel_ok(c, hh, ws, channel_name("two"))["id"]
        client_msg_id = token("same")
        first = post_ok(c, hh, first_ch, token("FIRSTCHANNEL"), client_msg_id=client_msg_id)
        r = post(c, hh, second_ch, token("SECONDCHANNEL"), client_msg_id=client_msg_id)
        assert r.status_code == 201, f"reusing a client_msg_id in another channel: {r.status_code} {r.text}"
        second = r.json()
        assert second["channel_id"] == second_ch and second["id"] != first["id"], (first, second)
        # Within one channel the id still repeats its message.
        r = post(c, hh, second_ch, "a retry", client_msg_id=client_msg_id)
        assert r.status_code == 200 and r.json()["id"] == second["id"], r.text
        r = post(c, hh, first_ch, "a retry", client_msg_id=client_msg_id)
        assert r.status_code == 200 and r.json()["id"] == first["id"], r.text
