/// Messages with a per-channel seq, and the per-workspace event log every delivery path reads.
struct Migration0007Messaging: Migration {
    let version = 7
    let name = "messaging"

    func statements(for kind: DatabaseKind) -> [String] {
        [
            "ALTER TABLE workspaces ADD COLUMN event_seq BIGINT NOT NULL DEFAULT 0",
            """
            CREATE TABLE messages (
                id TEXT PRIMARY KEY,
                workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
                channel_id TEXT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
                seq BIGINT NOT NULL,
                sender_id TEXT NOT NULL,
                sender_kind TEXT NOT NULL,
                kind TEXT NOT NULL,
                text TEXT,
                metadata TEXT,
                mentions TEXT NOT NULL DEFAULT '',
                thread_id TEXT,
                reply_count BIGINT NOT NULL DEFAULT 0,
                client_msg_id TEXT,
                created_at BIGINT NOT NULL,
                edited_at BIGINT,
                deleted_at BIGINT,
                UNIQUE (channel_id, seq),
                UNIQUE (sender_id, client_msg_id)
            )
            """,
            "CREATE INDEX messages_thread ON messages (thread_id, seq)",
            """
            CREATE TABLE events (
                workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
                seq BIGINT NOT NULL,
                type TEXT NOT NULL,
                channel_id TEXT,
                message_id TEXT,
                visibility TEXT NOT NULL,
                data TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (workspace_id, seq)
            )
            """,
            "CREATE INDEX events_message ON events (message_id)",
        ]
    }
}
