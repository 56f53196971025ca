/// Channels (public, private, DMs) and their members with read markers.
struct Migration0005Channels: Migration {
    let version = 5
    let name = "channels"

    func statements(for kind: DatabaseKind) -> [String] {
        [
            """
            CREATE TABLE channels (
                id TEXT PRIMARY KEY,
                workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
                kind TEXT NOT NULL,
                name TEXT,
                private BIGINT NOT NULL DEFAULT 0,
                topic TEXT NOT NULL DEFAULT '',
                dm_key TEXT,
                created_by TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                last_seq BIGINT NOT NULL DEFAULT 0,
                UNIQUE (workspace_id, name),
                UNIQUE (workspace_id, dm_key)
            )
            """,
            """
            CREATE TABLE channel_members (
                channel_id TEXT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
                principal_id TEXT NOT NULL,
                joined_at BIGINT NOT NULL,
                last_read_seq BIGINT NOT NULL DEFAULT 0,
                PRIMARY KEY (channel_id, principal_id)
            )
            """,
            "CREATE INDEX channel_members_principal ON channel_members (principal_id)",
        ]
    }
}
