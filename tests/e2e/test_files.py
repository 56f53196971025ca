"""Files (contract v1.1) end to end: upload raw bytes to `POST /workspaces/{ws}/files?name=`,
metadata and content under `/files/{fil}`, attach with `file_ids` on a message, delete.

Independent clients only: httpx for REST, `websockets` for the stream, sqlite3/psql for the
rows, and the data directory read directly (the bytes must be encrypted at rest).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import socket

import httpx
import pytest

from conftest import assert_problem, create_owner, running_server
from helpers_messaging import (API, MESSAGING_SERVER_ENV, add_member_ok, channel_name, create_channel_ok, is_event,
                               list_messages, open_stream, post, post_ok, uid, unique, agent_key)
# the module's fixtures
from helpers_messaging import general, server_survives, streams, team  # noqa: F401

# Small enough that the over-limit upload is quick, big enough for several 64 KiB segments.
LIMIT = 300_000


@pytest.fixture(scope="module")
def server(conclave_bin):
    yield from running_server({**MESSAGING_SERVER_ENV, "CONCLAVE_MAX_FILE_BYTES": str(LIMIT)})


def h(team, who):
    return team[who]["headers"]


def upload(c: httpx.Client, headers: dict, ws: str, data: bytes, name: str = "report.bin",
           content_type: str = "application/octet-stream") -> httpx.Response:
    return c.post(f"{API}/workspaces/{ws}/files", params={"name": name}, content=data,
                  headers={**headers, "Content-Type": content_type})


def upload_ok(c: httpx.Client, headers: dict, ws: str, data: bytes, **kwargs) -> dict:
    r = upload(c, headers, ws, data, **kwargs)
    assert r.status_code == 201, f"upload: {r.status_code} {r.text[:300]}"
    return r.json()


def marker() -> bytes:
    return ("PLAINTEXT-MARKER-" + secrets.token_hex(16)).encode()


def data_dir_contains(server, needle: bytes) -> list[str]:
    """Every file under the data dir whose bytes contain `needle`."""
    found = []
    for root, _, names in os.walk(server.data_dir):
        for name in names:
            path = os.path.join(root, name)
            try:
                with open(path, "rb") as f:
                    if needle in f.read():
                        found.append(path)
            except OSError:
                pass
    return found


def stored_files(server) -> set[str]:
    directory = server.data_dir / "files"
    return set(os.listdir(directory)) if directory.exists() else set()


def file_rows(server, file_id: str) -> int:
    return int(server.sql_rows(f"SELECT COUNT(*) FROM files WHERE id = '{file_id}'")[0][0])


def test_upload_and_download_round_trip_with_sha256(server, team, client):
    data = marker() + os.urandom(200_000) + marker()  # several segments, not a multiple of 64 KiB
    meta = upload_ok(client, h(team, "member"), team["ws"], data, name="report.pdf", content_type="application/pdf")
    assert meta["id"].startswith("fil_"), meta
    assert meta["name"] == "report.pdf" and meta["size"] == len(data) and meta["content_type"] == "application/pdf", meta
    assert meta["sha256"] == hashlib.sha256(data).hexdigest(), meta
    assert meta["uploader"] == uid(team["member"]) and meta["created_at"], meta

    r = client.get(f"{API}/files/{meta['id']}", headers=h(team, "member"))
    assert r.status_code == 200 and r.json() == meta, f"{r.status_code} {r.text}"
    r = client.get(f"{API}/files/{meta['id']}/content", headers=h(team, "member"))
    assert r.status_code == 200, f"{r.status_code} {r.text[:200]}"
    assert hashlib.sha256(r.content).hexdigest() == meta["sha256"] and r.content == data


@pytest.mark.parametrize("size", [0, 65536])
def test_empty_and_exact_segment_files_round_trip(server, team, client, size):
    data = os.urandom(size)
    meta = upload_ok(client, h(team, "member"), team["ws"], data)
    r = client.get(f"{API}/files/{meta['id']}/content", headers=h(team, "member"))
    assert r.status_code == 200 and r.content == data and meta["size"] == size


def test_plaintext_is_not_stored_anywhere_under_the_data_dir(server, team, client):
    mark = marker()
    meta = upload_ok(client, h(team, "member"), team["ws"], mark * 50, name="secret-notes.txt", content_type="text/plain")
    assert meta["id"] in stored_files(server), "the file's bytes are not under <data>/files"
    assert data_dir_contains(server, mark) == [], "the plaintext is on disk"
    assert client.get(f"{API}/files/{meta['id']}/content", headers=h(team, "member")).content == mark * 50


def test_content_headers_attachment_nosniff_sandbox(server, team, client):
    meta = upload_ok(client, h(team, "member"), team["ws"], b"<html><script>alert(1)</script></html>",
                     name='évil "page".html', content_type="text/html")
    r = client.get(f"{API}/files/{meta['id']}/content", headers=h(team, "member"))
    assert r.status_code == 200
    disposition = r.headers["content-disposition"]
    assert disposition.startswith("attachment;"), disposition
    assert 'filename="_vil _page_.html"' in disposition, disposition
    assert "filename*=UTF-8''%C3%A9vil%20%22page%22.html" in disposition, disposition
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in r.headers["content-security-policy"], r.headers["content-security-policy"]


def test_over_the_limit_is_413_while_reading_and_nothing_is_stored(server, team, client):
    before_files = stored_files(server)
    before_rows = int(server.sql_rows("SELECT COUNT(*) FROM files")[0][0])
    # A declared length over the limit: refused before the body.
    assert_problem(upload(client, h(team, "member"), team["ws"], os.urandom(LIMIT + 1)), 413)
    # A chunked body (no length) is cut off while it is read.
    def chunks():
        for _ in range(10):
            yield os.urandom(64 * 1024)
    r = client.post(f"{API}/workspaces/{team['ws']}/files", params={"name": "big.bin"}, content=chunks(),
                    headers={**h(team, "member"), "Content-Type": "application/octet-stream"})
    assert_problem(r, 413)
    assert stored_files(server) == before_files, "a refused upload left bytes behind"
    assert int(server.sql_rows("SELECT COUNT(*) FROM files")[0][0]) == before_rows
    # Exactly the limit is fine.
    upload_ok(client, h(team, "member"), team["ws"], os.urandom(LIMIT))


def test_bad_names_and_types_are_422(server, team, client):
    for name in ("", "a/b", "x\u0001y", "." , "n" * 256):
        assert_problem(upload(client, h(team, "member"), team["ws"], b"x", name=name), 422)
    assert_problem(upload(client, h(team, "member"), team["ws"], b"x", content_type="not a type"), 422)


def test_uploader_reads_own_unattached_file_others_get_404(server, team, client):
    meta = upload_ok(client, h(team, "member"), team["ws"], b"mine")
    assert client.get(f"{API}/files/{meta['id']}", headers=h(team, "member")).status_code == 200
    for who in ("member2", "admin", "outsider"):
        assert_problem(client.get(f"{API}/files/{meta['id']}", headers=h(team, who)), 404)
        assert_problem(client.get(f"{API}/files/{meta['id']}/content", headers=h(team, who)), 404)


def test_channel_member_reads_attached_file_non_member_gets_404(server, team, client):
    ch = create_channel_ok(client, h(team, "owner"), team["ws"], channel_name("files"), private=True)
    add_member_ok(client, h(team, "owner"), ch["id"], uid(team["member"]))
    add_member_ok(client, h(team, "owner"), ch["id"], uid(team["member2"]))
    data = marker()
    meta = upload_ok(client, h(team, "member"), team["ws"], data, name="plan.txt", content_type="text/plain")
    msg = post_ok(client, h(team, "member"), ch["id"], "see attached", file_ids=[meta["id"]])
    summary = {k: meta[k] for k in ("id", "name", "size", "content_type", "sha256")}
    assert msg["files"] == [summary], msg
    listed = {m["id"]: m for m in list_messages(client, h(team, "member2"), ch["id"])}[msg["id"]]
    assert listed["files"] == [summary], listed
    r = client.get(f"{API}/files/{meta['id']}/content", headers=h(team, "member2"))
    assert r.status_code == 200 and r.content == data
    # admin is not a member of the private channel; the outsider is not in the workspace
    for who in ("admin", "outsider"):
        assert_problem(client.get(f"{API}/files/{meta['id']}/content", headers=h(team, who)), 404)


def test_files_in_message_events(server, team, general, client, streams):
    stream, _, _ = open_stream(server, team["member2"]["access_token"])
    streams(stream)
    meta = upload_ok(client, h(team, "member"), team["ws"], b"event me", name="e.txt", content_type="text/plain")
    msg = post_ok(client, h(team, "member"), general["id"], "with a file " + unique(), file_ids=[meta["id"]])
    frame = stream.wait_for(is_event("message.created", id=msg["id"]), what="message.created with files")
    assert frame["data"]["files"] == msg["files"] and msg["files"][0]["id"] == meta["id"], frame


def test_attach_limits_and_unreadable_files_are_422(server, team, general, client):
    ids = [upload_ok(client, h(team, "member"), team["ws"], b"f%d" % i)["id"] for i in range(11)]
    r = post(client, h(team, "member"), general["id"], "too many", file_ids=ids)
    assert_problem(r, 422)
    assert "file_ids" in r.text
    assert post_ok(client, h(team, "member"), general["id"], "ten", file_ids=ids[:10])["files"].__len__() == 10
    # someone else's file that the sender cannot read, an unknown id, and a malformed one
    private = upload_ok(client, h(team, "member2"), team["ws"], b"not yours")
    for bad in (private["id"], "fil_" + "A" * 22, "nope"):
        r = post(client, h(team, "member"), general["id"], "steal", file_ids=[bad])
        assert_problem(r, 422)
    # a file of another workspace
    other = upload_ok(client, h(team, "outsider"), team["other_ws"], b"elsewhere")
    assert_problem(post(client, h(team, "outsider"), general["id"], "x", file_ids=[other["id"]]), 404)


def test_deleting_the_last_message_holding_a_file_erases_it(server, team, general, client):
    meta = upload_ok(client, h(team, "member"), team["ws"], marker())
    first = post_ok(client, h(team, "member"), general["id"], "one", file_ids=[meta["id"]])
    second = post_ok(client, h(team, "member2"), general["id"], "two", file_ids=[meta["id"]])
    assert client.delete(f"{API}/messages/{first['id']}", headers=h(team, "member")).status_code == 204
    assert client.get(f"{API}/files/{meta['id']}", headers=h(team, "member2")).status_code == 200, "still held by the second"
    assert meta["id"] in stored_files(server)
    assert client.delete(f"{API}/messages/{second['id']}", headers=h(team, "member2")).status_code == 204
    for who in ("member", "member2"):
        assert_problem(client.get(f"{API}/files/{meta['id']}", headers=h(team, who)), 404)
    assert meta["id"] not in stored_files(server), "the bytes outlived the last message"
    assert file_rows(server, meta["id"]) == 0


def test_delete_by_uploader_and_by_admin(server, team, general, client):
    own = upload_ok(client, h(team, "member"), team["ws"], b"own")
    assert_problem(client.delete(f"{API}/files/{own['id']}", headers=h(team, "member2")), 404)
    assert client.delete(f"{API}/files/{own['id']}", headers=h(team, "member")).status_code == 204
    assert_problem(client.get(f"{API}/files/{own['id']}", headers=h(team, "member")), 404)
    assert own["id"] not in stored_files(server) and file_rows(server, own["id"]) == 0

    shared = upload_ok(client, h(team, "member"), team["ws"], b"shared", name="shared.txt")
    msg = post_ok(client, h(team, "member"), general["id"], "shared " + unique(), file_ids=[shared["id"]])
    # member2 can read it but is neither uploader nor admin
    assert_problem(client.delete(f"{API}/files/{shared['id']}", headers=h(team, "member2")), 403)
    assert client.delete(f"{API}/files/{shared['id']}", headers=h(team, "admin")).status_code == 204
    assert shared["id"] not in stored_files(server) and file_rows(server, shared["id"]) == 0
    listed = {m["id"]: m for m in list_messages(client, h(team, "member"), general["id"])}[msg["id"]]
    assert listed["files"] == [], listed
    audit = client.get(f"{API}/workspaces/{team['ws']}/audit", headers=h(team, "owner"), params={"limit": 50})
    assert audit.status_code == 200, audit.text
    entries = [e for e in audit.json()["data"] if e.get("action") == "file.deleted_by_moderator"]
    assert any(e.get("target") == shared["id"] for e in entries), entries[:3]


def test_keys_need_files_scopes(server, team, general, client):
    with_files = agent_key(client, team, team["bot"]["id"], ["files:write", "files:read", "messages:write", "messages:read"])
    without = agent_key(client, team, team["bot"]["id"], ["messages:write", "messages:read"])
    bearer_with = {"Authorization": f"Bearer {with_files}"}
    bearer_without = {"Authorization": f"Bearer {without}"}
    meta = upload_ok(client, bearer_with, team["ws"], b"from the bot")
    assert client.get(f"{API}/files/{meta['id']}/content", headers=bearer_with).content == b"from the bot"
    assert_problem(upload(client, bearer_without, team["ws"], b"no scope"), 403)
    assert_problem(client.get(f"{API}/files/{meta['id']}", headers=bearer_without), 403)
    assert_problem(client.get(f"{API}/files/{meta['id']}/content", headers=bearer_without), 403)
    assert_problem(client.delete(f"{API}/files/{meta['id']}", headers=bearer_without), 403)


def test_deleting_the_channel_erases_files_only_its_messages_held(server, team, general, client):
    ch = create_channel_ok(client, h(team, "member"), team["ws"], channel_name("doomed"))
    only_here = upload_ok(client, h(team, "member"), team["ws"], marker())
    also_general = upload_ok(client, h(team, "member"), team["ws"], marker())
    post_ok(client, h(team, "member"), ch["id"], "here", file_ids=[only_here["id"], also_general["id"]])
    post_ok(client, h(team, "member"), general["id"], "there " + unique(), file_ids=[also_general["id"]])
    r = client.delete(f"{API}/channels/{ch['id']}", headers=h(team, "member"))
    assert r.status_code == 204, f"{r.status_code} {r.text}"
    assert_problem(client.get(f"{API}/files/{only_here['id']}", headers=h(team, "member")), 404)
    assert only_here["id"] not in stored_files(server) and file_rows(server, only_here["id"]) == 0
    assert client.get(f"{API}/files/{also_general['id']}", headers=h(team, "member2")).status_code == 200


def test_deleting_the_workspace_erases_its_files(server, team, client):
    from helpers_identity import create_workspace
    ws = create_workspace(client, h(team, "owner"), "Short-lived")
    meta = upload_ok(client, h(team, "owner"), ws["id"], marker())
    assert meta["id"] in stored_files(server)
    r = client.delete(f"{API}/workspaces/{ws['id']}", headers=h(team, "owner"))
    assert r.status_code == 204, f"{r.status_code} {r.text}"
    assert meta["id"] not in stored_files(server) and file_rows(server, meta["id"]) == 0


def test_files_sent_over_the_websocket(server, team, general, client, streams):
    stream, _, _ = open_stream(server, team["member"]["access_token"])
    streams(stream)
    meta = upload_ok(client, h(team, "member"), team["ws"], b"over the socket")
    cid = unique("wsfile")
    stream.send({"type": "send", "channel_id": general["id"], "text": "socket with file", "client_msg_id": cid,
                 "file_ids": [meta["id"]]})
    ack = stream.wait_for(lambda f: f.get("type") in ("ack", "error") and f.get("client_msg_id") == cid, what="ack")
    assert ack["type"] == "ack" and [f["id"] for f in ack["message"]["files"]] == [meta["id"]], ack
    bad = unique("wsfile")
    stream.send({"type": "send", "channel_id": general["id"], "text": "x", "client_msg_id": bad, "file_ids": ["fil_" + "B" * 20]})
    refused = stream.wait_for(lambda f: f.get("type") in ("ack", "error") and f.get("client_msg_id") == bad, what="error")
    assert refused["type"] == "error" and refused["status"] == 422, refused


def test_an_abandoned_upload_is_removed_at_start(make_server):
    srv = make_server(env={**MESSAGING_SERVER_ENV})
    srv.stop()
    files = srv.data_dir / "files"
    files.mkdir(mode=0o700, exist_ok=True)
    leftover = files / ".upload-fil_AAAAAAAAAAAAAAAAAAAA"
    leftover.write_bytes(b"half an upload")
    srv.start()
    assert not leftover.exists(), "a cut-off upload's temporary file survived a restart"


def test_the_default_limit_is_25_mib_and_a_full_size_file_round_trips(make_server):
    srv = make_server(env={**MESSAGING_SERVER_ENV})
    person = create_owner(srv)
    data = os.urandom(25 * 1024 * 1024)
    with srv.client(timeout=120) as c:
        meta = upload_ok(c, person["headers"], person["workspace_id"], data, name="big.bin")
        assert meta["size"] == len(data) and meta["sha256"] == hashlib.sha256(data).hexdigest()
        with c.stream("GET", f"{API}/files/{meta['id']}/content", headers=person["headers"]) as r:
            assert r.status_code == 200
            digest = hashlib.sha256()
            for chunk in r.iter_bytes():
                digest.update(chunk)
        assert digest.hexdigest() == meta["sha256"]
        assert_problem(upload(c, person["headers"], person["workspace_id"], data + b"x"), 413)
