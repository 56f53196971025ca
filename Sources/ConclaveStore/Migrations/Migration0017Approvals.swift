/// Approval requests (contract v1.1). A request's state lives with its message, as the canonical
/// JSON of `Approval` in `messages.approval`, so every read of a message shows it without a join
/// and the message's erasure takes it (the comment included). `approval_deadlines` holds only the
/// open requests that expire, indexed by deadline, so the expiry sweep reads just the due ones;
/// its row goes when the request is answered, expires, or its message goes.
struct Migration0017Approvals: Migration {
    let version = 17
    let name = "approvals"

    func statements(for kind: DatabaseKind) -> [String] {
        [
            "ALTER TABLE messages ADD COLUMN approval TEXT",
            """
            CREATE TABLE approval_deadlines (
                message_id TEXT PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
                expires_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX approval_deadlines_due ON approval_deadlines (expires_at)",
        ]
    }
}
