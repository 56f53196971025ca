"""The audit log is a hash chain: append-only in the database, and `conclave audit verify`
detects a changed or removed row."""

from __future__ import annotations

import re

from conftest import BACKEND, Server, assert_problem, create_owner, strong_password
from helpers_agents import create_agent_ok, create_key_ok
from helpers_identity import bearer, create_invite_ok, create_workspace, signup_via_invite


def make_some_history(srv: Server) -> dict:
    owner = create_owner(srv)
    with srv.client() as c:
        for _ in range(2):
            r = c.post("/api/v1/auth/login", json={"email": owner["email"], "password": "Wrong-" + strong_password()})
            assert r.status_code == 401
        r = c.post("/api/v1/auth/login", json={"email": owner["email"], "password": owner["password"]})
        assert r.status_code == 200, r.text
    return owner


def audit_rows(srv: Server) -> list[dict]:
    """Every audit row as {id, seq, action, chain}. Entries may form one chain or several
    (e.g. one per workspace); `chain` groups them by the `chain` column, else by workspace_id."""
    cols = {c.lower() for c in table_columns(srv)}
    for needed in ("id", "seq", "action", "details", "hash", "prev_hash"):
        assert needed in cols, f"audit_log has no column {needed!r} (columns: {sorted(cols)})"
    group = "chain" if "chain" in cols else ("workspace_id" if "workspace_id" in cols else "''")
    order = "seq" if group == "''" else f"{group}, seq"
    rows = srv.sql_rows(f"SELECT id, seq, action, COALESCE({group}, '') FROM audit_log ORDER BY {order}")
    return [{"id": r[0], "seq": int(r[1]), "action": r[2], "chain": r[3]} for r in rows]


def chains(rows: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in rows:
        out.setdefault(r["chain"], []).append(r)
    return out


def middle_row(rows: list[dict]) -> dict:
    """A row with a predecessor and a successor in its chain (so removing it is detectable)."""
    longest = max(chains(rows).values(), key=len)
    assert len(longest) >= 3, f"no chain with 3 entries: {rows}"
    return longest[len(longest) // 2]


def table_columns(srv: Server) -> list[str]:
    if BACKEND == "postgres":
        return [r[0] for r in srv.sql_rows(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'audit_log'")]
    return [r[1] for r in srv.sql_rows("PRAGMA table_info(audit_log)")]


def triggers(srv: Server) -> list[str]:
    if BACKEND == "postgres":
        return [r[0] for r in srv.sql_rows(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_log'::regclass AND NOT tgisinternal")]
    return [r[0] for r in srv.sql_rows(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'")]


def drop_triggers(srv: Server) -> None:
    if BACKEND == "postgres":
        srv.sql("ALTER TABLE audit_log DISABLE TRIGGER USER")
    else:
        for name in triggers(srv):
            srv.sql(f'DROP TRIGGER "{name}"')


def verify(srv: Server):
    return srv.run_cli(["audit", "verify"])


def names_row(output: str, row: dict) -> bool:
    if row["id"] in output:
        return True
    return re.search(rf"(?<![0-9A-Za-z_]){row['seq']}(?![0-9A-Za-z_])", output) is not None


def test_audit_chain_verifies_and_records_logins(make_server):
    srv = make_server()
    make_some_history(srv)
    proc = verify(srv)
    assert proc.returncode == 0, f"audit verify on an untouched log: {proc.returncode}\n{proc.stdout}{proc.stderr}"
    assert srv.stop() == 0
    rows = audit_rows(srv)
    actions = [r["action"] for r in rows]
    logins = [a for a in actions if "login" in a.lower()]
    assert len(logins) >= 4, f"expected entries for 2 successful and 2 failed logins: {actions}"
    failed = [a for a in logins if any(w in a.lower() for w in ("fail", "denied", "reject", "invalid"))]
    assert len(failed) >= 2, f"expected 2 login failure entries: {actions}"
    for chain, entries in chains(rows).items():
        seqs = [r["seq"] for r in entries]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), f"chain {chain!r}: seq not consecutive: {seqs}"
    assert all(r["id"].startswith("aud_") for r in rows), [r["id"] for r in rows]


def test_logins_appear_in_the_workspace_audit_log(make_server):
    # Contract: login success/failure are audited and read at GET /workspaces/{ws}/audit. A login
    # belongs to no workspace, so it is recorded in each workspace of the person it concerns.
    srv = make_server()
    owner = make_some_history(srv)
    with srv.client() as c:
        r = c.get(f"/api/v1/workspaces/{owner['workspace_id']}/audit", params={"limit": 200}, headers=owner["headers"])
        assert r.status_code == 200, r.text
        entries = r.json()["data"]
    about_owner = [e for e in entries if e.get("target") == owner["user_id"] and "login" in e["action"]]
    actions = [e["action"] for e in about_owner]
    assert actions.count("auth.login.failed") == 2 and "auth.login.succeeded" in actions, actions
    assert all(e["workspace_id"] == owner["workspace_id"] for e in about_owner), about_owner
    # The actor's kind uses the principal kinds' words (`human` as in /me, or `agent`).
    succeeded = next(e for e in about_owner if e["action"] == "auth.login.succeeded")
    assert succeeded["actor"]["kind"] == "human" and succeeded["actor"]["id"] == owner["user_id"], succeeded
    kinds = {e["actor"]["kind"] for e in entries}
    assert kinds <= {"human", "agent", "system", "anonymous"}, kinds
    assert verify(srv).returncode == 0


def test_audit_log_is_append_only_and_tamper_evident(make_server):
    srv = make_server()
    make_some_history(srv)
    assert verify(srv).returncode == 0
    assert srv.stop() == 0  # SQLite: no writer while we tamper with the file

    rows = audit_rows(srv)
    assert triggers(srv), "no trigger guards audit_log"
    target = middle_row(rows)
    where = f"WHERE id = '{target['id']}'"
    before = srv.sql_rows(f"SELECT details FROM audit_log {where}")
    assert len(before) == 1, before

    upd = srv.sql(f"UPDATE audit_log SET details = '{{\"tampered\": true}}' {where}", check=False)
    assert upd.returncode != 0, "UPDATE of audit_log succeeded: no append-only trigger"
    dele = srv.sql(f"DELETE FROM audit_log {where}", check=False)
    assert dele.returncode != 0, "DELETE from audit_log succeeded: no append-only trigger"
    assert srv.sql_rows(f"SELECT details FROM audit_log {where}") == before
    assert len(audit_rows(srv)) == len(rows)

    drop_triggers(srv)
    srv.sql(f"UPDATE audit_log SET details = '{{\"tampered\": true}}' {where}")
    assert srv.sql_rows(f"SELECT details FROM audit_log {where}") != before

    proc = verify(srv)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, f"audit verify passed a changed row (seq {target['seq']}):\n{out}"
    assert names_row(out, target), f"audit verify does not name the changed row (seq {target['seq']}, id {target['id']}):\n{out}"


def test_audit_verify_detects_a_removed_row(make_server):
    srv = make_server()
    make_some_history(srv)
    assert verify(srv).returncode == 0
    assert srv.stop() == 0

    rows = audit_rows(srv)
    victim = middle_row(rows)
    drop_triggers(srv)
    srv.sql(f"DELETE FROM audit_log WHERE id = '{victim['id']}'")
    assert len(audit_rows(srv)) == len(rows) - 1

    proc = verify(srv)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, f"audit verify passed with row seq {victim['seq']} deleted:\n{out}"


def test_audit_log_never_contains_secrets(make_server):
    srv = make_server()
    owner = make_some_history(srv)
    assert srv.stop() == 0
    dump = "\n".join("|".join(r) for r in srv.sql_rows("SELECT * FROM audit_log"))
    assert dump, "empty audit log"
    for what in ("password", "access_token", "refresh_token"):
        assert owner[what] not in dump, f"the {what} is in the audit log"


def test_audit_verify_over_http_finds_the_changed_entry(make_server):
    """GET /api/v1/workspaces/{ws}/audit/verify walks the workspace's chain as `conclave audit
    verify` does: valid with the entry count on an untouched chain; after one row of it is changed
    in the database, invalid naming that row's seq. Admins and owners only (a member → 403, an
    agent's key as for GET audit), and another workspace's chain is 404."""
    srv = make_server()
    owner = make_some_history(srv)
    ws = owner["workspace_id"]
    verify_path = f"/api/v1/workspaces/{ws}/audit/verify"
    with srv.client() as c:
        member = signup_via_invite(c, create_invite_ok(c, owner["headers"], ws, "member")["token"], "member")
        elsewhere = create_workspace(c, owner["headers"], "Elsewhere")["id"]
        agent = create_agent_ok(c, owner["headers"], ws, "Auditor Bot")
        key = bearer(create_key_ok(c, owner["headers"], ws, agent["id"], ["channels:read"])["key"])

        r = c.get(verify_path, headers=owner["headers"])
        assert r.status_code == 200, r.text
        entries = len(chains(audit_rows(srv))[ws])
        assert r.json() == {"valid": True, "entries": entries, "first_invalid_seq": None}, (r.json(), entries)

        assert_problem(c.get(verify_path, headers=member["headers"]), 403)
        assert_problem(c.get(f"/api/v1/workspaces/{elsewhere}/audit/verify", headers=member["headers"]), 404)
        listed = c.get(f"/api/v1/workspaces/{ws}/audit", headers=key)
        assert c.get(verify_path, headers=key).status_code == listed.status_code != 200, listed.text
    assert srv.stop() == 0  # SQLite: no writer while we tamper with the file

    target = middle_row(chains(audit_rows(srv))[ws])
    drop_triggers(srv)
    srv.sql(f"UPDATE audit_log SET details = '{{\"tampered\": true}}' WHERE id = '{target['id']}'")
    srv.start()
    with srv.client() as c:
        r = c.get(verify_path, headers=owner["headers"])
        assert r.status_code == 200, r.text
        assert r.json() == {"valid": False, "entries": target["seq"], "first_invalid_seq": target["seq"]}, (r.json(), target)
        # The other workspace's chain is untouched.
        r = c.get(f"/api/v1/workspaces/{elsewhere}/audit/verify", headers=owner["headers"])
        assert r.status_code == 200 and r.json()["valid"] is True, r.text
