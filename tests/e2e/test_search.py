"""Message search (contract v1.1 "Search", issue 16) end to end:
`GET /api/v1/workspaces/{ws}/search?q=&channel_id=&sender_id=&limit=&cursor=`.

- Words, prefixes (`word*`) and quoted phrases; every term must match; best match first; each
  result is the message with its `channel_id`, `seq` and `highlight` (code point offsets of the
  matched words in `text`).
- Only what the caller may read now: private channels and DMs of others are never found, a
  member removed from a channel finds nothing of it, an agent (or viewer) only its own channels,
  another workspace is 404, an API key without `messages:read` 403.
- Deleted and edited-away text is never found, and (SQLite) an erased word is in no file of the
  data directory after the erasure: the search index forgets it in the same transaction.
- `q` that is missing, empty, too long or made of operators only → 422 naming `q`; FTS / tsquery
  syntax typed by the user is plain text, never a 500.

Independent clients only: httpx for REST, the data directory's files (and a dump on PostgreSQL).
"""

from __future__ import annotations

import secrets

import httpx
import pytest

from conftest import BACKEND, assert_problem, create_owner
from helpers_agents import create_key_ok, storage_blobs
from helpers_identity import bearer, field_errors
from helpers_messaging import (API, MESSAGING_SERVER_ENV, add_member_ok, channel_name, create_channel_ok, join_ok, post_ok,
                               uid)
# the module's fixtures
from helpers_messaging import general, server, server_survives, team  # noqa: F401


def h(team, who):
    return team[who]["headers"]


def word(tag: str = "zq") -> str:
    """A word no other test uses: letters and digits only."""
    return tag + secrets.token_hex(5)


def search(c: httpx.Client, headers: dict, ws: str, q: str, **params) -> httpx.Response:
    return c.get(f"{API}/workspaces/{ws}/search", params={"q": q, **params}, headers=headers)


def found(c: httpx.Client, headers: dict, ws: str, q: str, **params) -> list[dict]:
    r = search(c, headers, ws, q, **params)
    assert r.status_code == 200, f"search {q!r}: {r.status_code} {r.text[:300]}"
    body = r.json()
    assert set(body) == {"data", "next_cursor"}, body
    return body["data"]


def ids(results: list[dict]) -> list[str]:
    return [m["id"] for m in results]


def highlighted(message: dict) -> list[str]:
    return [message["text"][span["start"]:span["end"]] for span in message["highlight"]]


def test_words_prefixes_and_phrases_best_match_first(server, team, general, client):
    ws, ch, hh = team["ws"], general["id"], h(team, "member")
    alpha, beta = word(), word()
    once = post_ok(client, hh, ch, f"{alpha} shows up once next to {beta}")
    often = post_ok(client, hh, ch, f"{alpha} {alpha} {alpha}, and again {alpha}. {beta}")
    other = post_ok(client, hh, ch, f"only the other word: {beta}")
    prefixed = post_ok(client, hh, ch, f"{alpha}ment is a longer word; the blue green deploy {beta}")

    results = found(client, hh, ws, alpha)
    assert ids(results) == [often["id"], once["id"]], f"a word: {[m['text'] for m in results]}"
    first = results[0]
    assert first["channel_id"] == ch and first["seq"] == often["seq"] and first["text"] == often["text"], first
    assert highlighted(first) == [alpha] * 4, first["highlight"]

    # A prefix also finds the longer word; the highlight covers the whole word.
    assert set(ids(found(client, hh, ws, alpha[:8] + "*"))) == {often["id"], once["id"], prefixed["id"]}
    prefixed_hit = [m for m in found(client, hh, ws, f"{alpha}*") if m["id"] == prefixed["id"]][0]
    assert highlighted(prefixed_hit) == [f"{alpha}ment"], prefixed_hit["highlight"]

    # Every term must match; a phrase only in that order, adjacent.
    assert ids(found(client, hh, ws, f"{beta} only")) == [other["id"]]
    assert ids(found(client, hh, ws, f'"blue green deploy" {beta}')) == [prefixed["id"]]
    assert found(client, hh, ws, f'"green blue deploy" {beta}') == []
    phrase_hit = found(client, hh, ws, f'"green deploy {beta}"')[0]
    assert highlighted(phrase_hit) == [f"green deploy {beta}"], phrase_hit["highlight"]
    # Case does not matter; punctuation inside a word makes it the phrase of its parts.
    assert ids(found(client, hh, ws, alpha.upper() + " AGAIN")) == [often["id"]]
    assert ids(found(client, hh, ws, f"{alpha}.{alpha}")) == [often["id"]]


def test_highlight_offsets_count_code_points(server, team, general, client):
    w = word()
    msg = post_ok(client, h(team, "member"), general["id"], f"🎉 café {w} <b>ok</b>")
    hit = found(client, h(team, "member"), team["ws"], w)[0]
    assert hit["id"] == msg["id"] and hit["highlight"] == [{"start": 7, "end": 7 + len(w)}], hit["highlight"]
    assert highlighted(hit) == [w]
    assert found(client, h(team, "member"), team["ws"], f"café {w}")[0]["id"] == msg["id"]


def test_channel_and_sender_filters(server, team, general, client):
    ws, w = team["ws"], word()
    side = create_channel_ok(client, h(team, "owner"), ws, channel_name("side"))
    add_member_ok(client, h(team, "owner"), side["id"], uid(team["member"]))
    by_member = post_ok(client, h(team, "member"), general["id"], f"{w} from member")
    by_admin = post_ok(client, h(team, "admin"), general["id"], f"{w} from admin")
    in_side = post_ok(client, h(team, "member"), side["id"], f"{w} in the side channel")

    assert set(ids(found(client, h(team, "member"), ws, w))) == {by_member["id"], by_admin["id"], in_side["id"]}
    assert ids(found(client, h(team, "member"), ws, w, channel_id=side["id"])) == [in_side["id"]]
    assert set(ids(found(client, h(team, "member"), ws, w, sender_id=uid(team["member"])))) == {by_member["id"], in_side["id"]}
    assert ids(found(client, h(team, "member"), ws, w, sender_id=uid(team["admin"]), channel_id=general["id"])) == [by_admin["id"]]
    for params, field in (({"channel_id": "nope"}, "channel_id"), ({"sender_id": general["id"]}, "sender_id")):
        body = assert_problem(search(client, h(team, "member"), ws, w, **params), 422)
        assert field_errors(body) == [field], body


def test_only_what_the_caller_may_read_now(server, team, general, client):
    ws, w = team["ws"], word()
    owner = h(team, "owner")
    secret = create_channel_ok(client, owner, ws, channel_name("secret"), private=True)
    add_member_ok(client, owner, secret["id"], uid(team["member"]))
    public = create_channel_ok(client, owner, ws, channel_name("open"))
    in_secret = post_ok(client, h(team, "member"), secret["id"], f"{w} private plans")
    in_public = post_ok(client, owner, public["id"], f"{w} public news")

    assert set(ids(found(client, h(team, "member"), ws, w))) == {in_secret["id"], in_public["id"]}
    # A member not in the private channel: only the public one (members read public channels
    # without joining, as GET /channels/{ch}/messages allows).
    assert ids(found(client, h(team, "member2"), ws, w)) == [in_public["id"]]
    assert found(client, h(team, "member2"), ws, w, channel_id=secret["id"]) == []
    # Viewers and agents read only channels they belong to: not the public one they never joined.
    assert found(client, h(team, "viewer"), ws, w) == []
    bot_key = create_key_ok(client, owner, ws, team["bot"]["id"], ["messages:read"])["key"]
    assert found(client, bearer(bot_key), ws, w) == []
    add_member_ok(client, owner, public["id"], team["bot"]["id"])
    assert ids(found(client, bearer(bot_key), ws, w)) == [in_public["id"]]
    join_ok(client, h(team, "viewer"), public["id"])
    assert ids(found(client, h(team, "viewer"), ws, w)) == [in_public["id"]]

    # Removed from the private channel: nothing of it from then on.
    r = client.delete(f"{API}/channels/{secret['id']}/members/{uid(team['member'])}", headers=owner)
    assert r.status_code == 204, r.text
    assert ids(found(client, h(team, "member"), ws, w)) == [in_public["id"]]
    assert found(client, h(team, "member"), ws, w, channel_id=secret["id"]) == []


def test_other_workspace_404_and_scopes(server, team, general, client):
    w = word()
    post_ok(client, h(team, "member"), general["id"], f"{w} in the team workspace")
    # The outsider belongs to another workspace only: the team's is not there for it.
    assert_problem(search(client, h(team, "outsider"), team["ws"], w), 404)
    assert found(client, h(team, "outsider"), team["other_ws"], w) == []
    write_only = create_key_ok(client, h(team, "owner"), team["ws"], team["bot"]["id"], ["messages:write"])["key"]
    body = assert_problem(search(client, bearer(write_only), team["ws"], w), 403)
    assert "messages:read" in body.get("detail", ""), body
    assert_problem(client.get(f"{API}/workspaces/{team['ws']}/search", params={"q": w}), 401)


def test_deleted_and_edited_away_text_is_never_found(server, team, general, client):
    ws, hh = team["ws"], h(team, "member")
    gone, old, new = word("gone"), word("old"), word("new")
    doomed = post_ok(client, hh, general["id"], f"{gone} will be deleted")
    edited = post_ok(client, hh, general["id"], f"{old} will be edited away")
    assert ids(found(client, hh, ws, gone)) == [doomed["id"]] and ids(found(client, hh, ws, old)) == [edited["id"]]

    assert client.delete(f"{API}/messages/{doomed['id']}", headers=hh).status_code == 204
    r = client.patch(f"{API}/messages/{edited['id']}", json={"text": f"now {new} instead"}, headers=hh)
    assert r.status_code == 200, r.text
    assert found(client, hh, ws, gone) == [], "deleted text is found"
    assert found(client, hh, ws, f"{gone[:6]}*") == [], "deleted text is found by prefix"
    assert found(client, hh, ws, old) == [], "edited-away text is found"
    hit = found(client, h(team, "owner"), ws, new)
    assert ids(hit) == [edited["id"]] and highlighted(hit[0]) == [new] and hit[0]["edited_at"], hit
    # A deleted channel takes its messages out of search too.
    ch = create_channel_ok(client, h(team, "owner"), ws, channel_name("doomed"))
    in_channel = word("chan")
    post_ok(client, h(team, "owner"), ch["id"], f"{in_channel} here")
    assert len(found(client, h(team, "owner"), ws, in_channel)) == 1
    assert client.delete(f"{API}/channels/{ch['id']}", headers=h(team, "owner")).status_code == 204
    assert found(client, h(team, "owner"), ws, in_channel) == []


@pytest.mark.parametrize("q", [
    None, "", "   ", "*", '""', "-- ! & | ( )", "🎉🎉", "a*", "x" * 257, " ".join(["w"] * 17), "y" * 65,
])
def test_bad_q_is_422_naming_q(server, team, general, client, q):
    params = {} if q is None else {"q": q}
    r = client.get(f"{API}/workspaces/{team['ws']}/search", params=params, headers=h(team, "member"))
    body = assert_problem(r, 422)
    assert field_errors(body) == ["q"], body


@pytest.mark.parametrize("q", [
    '" OR 1=1 --', "x NEAR(a b)", "text:secret", "ab & !cd | ef:*", "x <-> y", "'quoted':*", "(\"nested\")",
    "robert'); DROP TABLE messages;--", "\u0000zero", "NOT AND OR", "ab*cd*", "^caret -minus +plus",
])
def test_query_syntax_is_plain_text(server, team, general, client, q):
    r = search(client, h(team, "member"), team["ws"], q)
    assert r.status_code == 200, f"{q!r}: {r.status_code} {r.text[:300]}"
    assert isinstance(r.json()["data"], list)


def test_pagination_walks_the_ranked_list(server, team, general, client):
    ws, hh, w = team["ws"], h(team, "member"), word("page")
    posted = [post_ok(client, hh, general["id"], " ".join([w] * (1 + i % 3)) + f" number {i}")["id"] for i in range(7)]
    whole = ids(found(client, hh, ws, w, limit=50))
    assert sorted(whole) == sorted(posted)
    walked, cursor = [], None
    while True:
        params = {"limit": 3} if cursor is None else {"limit": 3, "cursor": cursor}
        r = search(client, hh, ws, w, **params)
        assert r.status_code == 200, r.text
        body = r.json()
        assert len(body["data"]) <= 3
        walked += ids(body["data"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert walked == whole, "the pages are not the ranked list continued"
    for bad in ("nope!", "bm90IGEgbnVtYmVy", "OTk5OTk"):
        assert_problem(search(client, hh, ws, w, cursor=bad), 400)
    for bad in ("0", "201", "x"):
        body = assert_problem(search(client, hh, ws, w, limit=bad), 422)
        assert field_errors(body) == ["limit"], body


def test_erased_words_leave_the_database_files(make_server):
    """The FTS index forgets a deleted or edited-away word in the same transaction, and with
    secure-delete and the WAL checkpoint after an erasure no file of the data dir keeps it."""
    srv = make_server(MESSAGING_SERVER_ENV)
    boss = create_owner(srv, "search-erase@example.com", "SearchErase")
    kept, deleted, edited = word("KEPTSEARCH"), word("DELETEDSEARCH"), word("EDITEDSEARCH")
    with srv.client() as c:
        hh = boss["headers"]
        ch = create_channel_ok(c, hh, boss["workspace_id"], channel_name("erase"))["id"]
        post_ok(c, hh, ch, f"{kept} stays")
        doomed = post_ok(c, hh, ch, f"{deleted} goes")
        changed = post_ok(c, hh, ch, f"{edited} is edited away")
        for i in range(30):  # more rows, so the index has pages beyond the first
            post_ok(c, hh, ch, f"filler {i} {word('f')}")
        assert len(found(c, hh, boss["workspace_id"], deleted)) == 1
        assert c.delete(f"{API}/messages/{doomed['id']}", headers=hh).status_code == 204
        assert c.patch(f"{API}/messages/{changed['id']}", json={"text": "replaced"}, headers=hh).status_code == 200
        assert found(c, hh, boss["workspace_id"], deleted) == [] and found(c, hh, boss["workspace_id"], edited) == []
    assert srv.stop() == 0
    blobs = storage_blobs(srv)
    assert any(kept.encode() in data for data in blobs.values()), "the scan cannot find the kept word (it is blind)"
    if BACKEND == "sqlite":
        # The index holds words lowercased: the kept one is there, so the scan reads the index.
        assert any(kept.lower().encode() in data for data in blobs.values()), "the scan cannot find the indexed word"
    for gone in (deleted, edited):
        for form in (gone, gone.lower()):
            hits = [where for where, data in blobs.items() if form.encode() in data]
            assert not hits, f"{form} survives in storage: {hits}"
