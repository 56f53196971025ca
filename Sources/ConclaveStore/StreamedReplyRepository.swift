import ConclaveCore
import SQLKit

/// Streamed replies: appends go into the message's `text` in one statement each (so concurrent
/// appends, on any server, are ordered by the row and none is lost), and finalizing ends
/// `streaming_until`.
public struct StreamedReplyRepository: Sendable {
    public init() {}

    /// Appends `text` to the sender's streaming message when the result stays within
    /// `maxLength` characters; returns the text's length after it, or nil when nothing was
    /// appended (not streaming, not the sender's, deleted, or too long).
    public func append(messageID: String, senderID: String, text: String, maxLength: Int, on db: DatabaseSession) async throws -> Int64? {
        try await db.raw(
            """
            UPDATE messages SET text = text || \(bind: text)
            WHERE id = \(bind: messageID) AND sender_id = \(bind: senderID) AND streaming_until IS NOT NULL AND deleted_at IS NULL
              AND length(text) + length(\(bind: text)) <= \(bind: maxLength)
            RETURNING length(text) AS length
            """
        ).first()?.decode(column: "length", as: Int64.self)
    }

    /// Locks a streaming message's row until the commit and returns it (nil when it is not
    /// streaming any more, or deleted): a final and the server's finalizer never both finish it.
    public func lockStreaming(id: String, on db: DatabaseSession) async throws -> MessageRecord? {
        try await db.raw(
            """
            UPDATE messages SET reply_count = reply_count
            WHERE id = \(bind: id) AND streaming_until IS NOT NULL AND deleted_at IS NULL RETURNING *
            """
        ).firstRecord(MessageRecord.self)
    }

    public func finish(id: String, text: String, mentions: [String], on db: DatabaseSession) async throws {
        try await db.raw(
            """
            UPDATE messages SET text = \(bind: text), mentions = \(bind: mentions.joined(separator: " ")), streaming_until = NULL
            WHERE id = \(bind: id)
            """
        ).run()
    }

    /// Streaming messages due by `now`, the earliest first.
    public func due(now: Int64, limit: Int, on db: DatabaseSession) async throws -> [String] {
        try await db.raw(
            "SELECT id FROM messages WHERE streaming_until <= \(bind: now) ORDER BY streaming_until LIMIT \(bind: limit)"
        ).all(decodingColumn: "id", as: String.self)
    }

    /// Streaming messages started before `time` (a restart: those its previous run served).
    public func started(before time: Int64, limit: Int, on db: DatabaseSession) async throws -> [String] {
        try await db.raw(
            """
            SELECT id FROM messages WHERE streaming_until IS NOT NULL AND created_at < \(bind: time)
            ORDER BY streaming_until LIMIT \(bind: limit)
            """
        ).all(decodingColumn: "id", as: String.self)
    }
}
