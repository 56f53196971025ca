/// Reactions (contract v1.1): one row per (message, principal, emoji), so a reaction is added at
/// most once however many times it is asked for, and counts are computed from the rows, never
/// kept in a counter that concurrent reactors could both read and overwrite. Rows go with their
/// message by cascade (a channel's deletion) and are deleted when the message is erased.
struct Migration0013Reactions: Migration {
    let version = 13
    let name = "reactions"

    func statements(for kind: DatabaseKind) -> [String] {
        [
            """
            CREATE TABLE message_reactions (
                message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
                principal_id TEXT NOT NULL,
                emoji TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (message_id, principal_id, emoji)
            )
            """,
            "CREATE INDEX message_reactions_emoji ON message_reactions (message_id, emoji)",
        ]
    }
}
