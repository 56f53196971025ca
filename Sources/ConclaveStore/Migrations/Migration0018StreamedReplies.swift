/// Streamed replies (contract v1.1). `streaming_until` is set while a reply is being streamed:
/// the time the server finalizes it if its sender has not. Appends go straight into `text`, so
/// what was streamed survives a crash; the partial index lets the finalizer find due streams
/// without scanning the messages.
struct Migration0018StreamedReplies: Migration {
    let version = 18
    let name = "streamed_replies"

    func statements(for kind: DatabaseKind) -> [String] {
        [
            "ALTER TABLE messages ADD COLUMN streaming_until BIGINT",
            "CREATE INDEX messages_streaming ON messages (streaming_until) WHERE streaming_until IS NOT NULL",
        ]
    }
}
