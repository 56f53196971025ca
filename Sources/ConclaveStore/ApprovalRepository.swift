import ConclaveCore
import SQLKit

/// Approval requests' state (in `messages.approval`) and the deadlines of the open ones that expire.
public struct ApprovalRepository: Sendable {
    public init() {}

    /// Locks a live message's row until the commit and returns it (nil once deleted): two
    /// answers, or an answer and the expiry, are serialised on it and the second sees the first.
    public func lockLiveMessage(id: String, on db: DatabaseSession) async throws -> MessageRecord? {
        try await db.raw(
            "UPDATE messages SET reply_count = reply_count WHERE id = \(bind: id) AND deleted_at IS NULL RETURNING *"
        ).firstRecord(MessageRecord.self)
    }

    /// Stores the new state; an answered or expired request leaves the deadlines.
    public func update(messageID: String, approval: String, open: Bool, on db: DatabaseSession) async throws {
        try await db.raw("UPDATE messages SET approval = \(bind: approval) WHERE id = \(bind: messageID)").run()
        if !open { try await removeDeadline(messageID: messageID, on: db) }
    }

    public func addDeadline(messageID: String, expiresAt: Int64, on db: DatabaseSession) async throws {
        try await db.raw("INSERT INTO approval_deadlines (message_id, expires_at) VALUES (\(bind: messageID), \(bind: expiresAt))").run()
    }

    public func removeDeadline(messageID: String, on db: DatabaseSession) async throws {
        try await db.raw("DELETE FROM approval_deadlines WHERE message_id = \(bind: messageID)").run()
    }

    /// Messages whose open request is due at `now`, the earliest first.
    public func due(now: Int64, limit: Int, on db: DatabaseSession) async throws -> [String] {
        try await db.raw(
            "SELECT message_id FROM approval_deadlines WHERE expires_at <= \(bind: now) ORDER BY expires_at LIMIT \(bind: limit)"
        ).all(decodingColumn: "message_id", as: String.self)
    }
}
