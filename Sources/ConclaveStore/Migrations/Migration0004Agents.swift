/// Agents as first-class principals and API keys (agents' and people's personal keys), stored as
/// keyed hashes with a display prefix.
struct Migration0004Agents: Migration {
    let version = 4
    let name = "agents"

    func statements(for kind: DatabaseKind) -> [String] {
        [
            """
            CREATE TABLE agents (
                id TEXT PRIMARY KEY,
                workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
                user_id TEXT REFERENCES users (id) ON DELETE SET NULL,
                name TEXT NOT NULL,
                description TEXT NOT NULL DEFAULT '',
                status TEXT NOT NULL,
                created_by TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                last_seen_at BIGINT
            )
            """,
            "CREATE INDEX agents_workspace ON agents (workspace_id, id)",
            """
            CREATE TABLE api_keys (
                id TEXT PRIMARY KEY,
                owner_id TEXT NOT NULL,
                workspace_id TEXT REFERENCES workspaces (id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                prefix TEXT NOT NULL,
                key_hash TEXT NOT NULL UNIQUE,
                scopes TEXT NOT NULL,
                expires_at BIGINT,
                allowed_cidrs TEXT NOT NULL DEFAULT '',
                created_by TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                revoked_at BIGINT,
                last_used_at BIGINT,
                last_used_ip TEXT
            )
            """,
            "CREATE INDEX api_keys_owner ON api_keys (owner_id, id)",
        ]
    }
}
