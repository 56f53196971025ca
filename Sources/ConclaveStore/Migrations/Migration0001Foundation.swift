/// The audit log (append-only, enforced by triggers) and the idempotency-key store.
struct Migration0001Foundation: Migration {
    let version = 1
    let name = "foundation"

    func statements(for kind: DatabaseKind) -> [String] {
        var statements = [
            """
            CREATE TABLE audit_log (
                id TEXT PRIMARY KEY,
                chain TEXT NOT NULL,
                seq BIGINT NOT NULL,
                at TEXT NOT NULL,
                actor_id TEXT,
                actor_kind TEXT NOT NULL,
                actor_ip TEXT,
                action TEXT NOT NULL,
                target TEXT,
                workspace_id TEXT,
                details TEXT NOT NULL,
                prev_hash TEXT NOT NULL,
                hash TEXT NOT NULL,
                UNIQUE (chain, seq)
            )
            """,
            "CREATE INDEX audit_log_workspace ON audit_log (workspace_id, seq)",
            "CREATE INDEX audit_log_action ON audit_log (chain, action, seq)",
            """
            CREATE TABLE idempotency_keys (
                principal_id TEXT NOT NULL,
                key TEXT NOT NULL,
                method TEXT NOT NULL,
                path TEXT NOT NULL,
                request_hash TEXT NOT NULL,
                status BIGINT NOT NULL,
                body TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (principal_id, key)
            )
            """,
            "CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at)",
        ]
        switch kind {
        case .sqlite:
            statements += [
                """
                CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
                BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END
                """,
                """
                CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
                BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END
                """,
            ]
        case .postgres:
            statements += [
                """
                CREATE FUNCTION conclave_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$
                """,
                """
                CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
                FOR EACH ROW EXECUTE FUNCTION conclave_audit_append_only()
                """,
                """
                CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
                FOR EACH STATEMENT EXECUTE FUNCTION conclave_audit_append_only()
                """,
            ]
        }
        return statements
    }
}
