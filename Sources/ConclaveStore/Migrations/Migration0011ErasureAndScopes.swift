/// Fixes from the security review that need the schema:
///
/// - `idempotency_keys.resource_id`: a replayed message POST renders the message as it is now
///   (edited, or a tombstone) instead of a stored copy of its text, so a deletion erases the text
///   from this table too. Stored bodies of message POSTs are replaced by a pointer to the message.
/// - `client_msg_id` is unique per sender *and channel*: reusing an id in another channel named
///   that channel's message. SQLite cannot drop a table constraint, so its table is rebuilt.
/// - `channel_members.joined_seq`: where in the workspace's event log a channel membership began,
///   so a resumed stream never replays a channel's events from before the principal joined it.
/// - An index for the audit log's `actor` filter (it scanned the whole chain).
struct Migration0011ErasureAndScopes: Migration {
    let version = 11
    let name = "erasure_and_scopes"

    func statements(for kind: DatabaseKind) -> [String] {
        var statements = ["ALTER TABLE idempotency_keys ADD COLUMN resource_id TEXT"]
        switch kind {
        case .sqlite:
            statements += [
                """
                UPDATE idempotency_keys SET resource_id = json_extract(body, '$.id'), body = ''
                WHERE path LIKE '/api/v1/channels/%/messages' AND json_valid(body) AND json_extract(body, '$.id') LIKE 'msg\\_%' ESCAPE '\\'
                """,
                """
                CREATE TABLE messages_rebuilt (
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
                    UNIQUE (sender_id, channel_id, client_msg_id)
                )
                """,
                """
                INSERT INTO messages_rebuilt (id, workspace_id, channel_id, seq, sender_id, sender_kind, kind, text, metadata, mentions,
                                              thread_id, reply_count, client_msg_id, created_at, edited_at, deleted_at)
                SELECT id, workspace_id, channel_id, seq, sender_id, sender_kind, kind, text, metadata, mentions,
                       thread_id, reply_count, client_msg_id, created_at, edited_at, deleted_at FROM messages
                """,
                "DROP TABLE messages",
                "ALTER TABLE messages_rebuilt RENAME TO messages",
                "CREATE INDEX messages_thread ON messages (thread_id, seq)",
            ]
        case .postgres:
            statements += [
                """
                UPDATE idempotency_keys SET resource_id = body::json->>'id', body = ''
                WHERE path LIKE '/api/v1/channels/%/messages' AND body LIKE '{%' AND body::json->>'id' LIKE 'msg\\_%'
                """,
                "ALTER TABLE messages DROP CONSTRAINT messages_sender_id_client_msg_id_key",
                "ALTER TABLE messages ADD CONSTRAINT messages_sender_channel_client_msg_id_key UNIQUE (sender_id, channel_id, client_msg_id)",
            ]
        }
        statements += [
            "ALTER TABLE channel_members ADD COLUMN joined_seq BIGINT",
            "CREATE INDEX audit_log_actor ON audit_log (chain, actor_id, seq)",
        ]
        return statements
    }
}
