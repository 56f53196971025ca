import SQLKit

/// Reactions: a row per (message, principal, emoji). Adding inserts the row if it is not there,
/// removing deletes it; counts are always counted from the rows.
public struct ReactionRepository: Sendable {
    public init() {}

    /// Locks a live message's row until the commit (PostgreSQL waits for a concurrent deletion or
    /// reaction and then sees it); false when the message is deleted. Reactions to one message
    /// are thereby serialised, so the count each one reports is the count after it.
    public func lockLiveMessage(id: String, on db: DatabaseSession) async throws -> Bool {
        try await db.raw(
            "UPDATE messages SET reply_count = reply_count WHERE id = \(bind: id) AND deleted_at IS NULL RETURNING id"
        ).first() != nil
    }

    /// True when the row was added, false when it was there already.
    public func add(messageID: String, principalID: String, emoji: String, now: Int64, on db: DatabaseSession) async throws -> Bool {
        try await db.raw(
            """
            INSERT INTO message_reactions (message_id, principal_id, emoji, created_at)
            VALUES (\(bind: messageID), \(bind: principalID), \(bind: emoji), \(bind: now))
            ON CONFLICT DO NOTHING RETURNING message_id
            """
        ).first() != nil
    }

    /// True when a row was removed, false when there was none.
    public func remove(messageID: String, principalID: String, emoji: String, on db: DatabaseSession) async throws -> Bool {
        try await db.raw(
            """
            DELETE FROM message_reactions
            WHERE message_id = \(bind: messageID) AND principal_id = \(bind: principalID) AND emoji = \(bind: emoji) RETURNING message_id
            """
        ).first() != nil
    }

    public func count(messageID: String, emoji: String, on db: DatabaseSession) async throws -> Int64 {
        try await db.raw(
            "SELECT COUNT(*) AS n FROM message_reactions WHERE message_id = \(bind: messageID) AND emoji = \(bind: emoji)"
        ).first(decodingColumn: "n", as: Int64.self) ?? 0
    }

    public func distinctEmoji(messageID: String, on db: DatabaseSession) async throws -> Int {
        try await db.raw(
            "SELECT COUNT(DISTINCT emoji) AS n FROM message_reactions WHERE message_id = \(bind: messageID)"
        ).first(decodingColumn: "n", as: Int.self) ?? 0
    }

    public func has(messageID: String, emoji: String, on db: DatabaseSession) async throws -> Bool {
        try await db.raw(
            "SELECT 1 AS present FROM message_reactions WHERE message_id = \(bind: messageID) AND emoji = \(bind: emoji) LIMIT 1"
        ).first() != nil
    }

    /// Each message's reactions, emoji in the order they were first used; `me` as `readerID` sees
    /// it (nil: false everywhere, for data that goes to many readers).
    public func counts(messageIDs: [String], readerID: String?, on db: DatabaseSession) async throws -> [String: [ReactionCount]] {
        guard !messageIDs.isEmpty else { return [:] }
        let rows = try await db.raw(
            """
            SELECT message_id, emoji, COUNT(*) AS count,
                   MAX(CASE WHEN principal_id = \(bind: readerID ?? "") THEN 1 ELSE 0 END) AS me
            FROM message_reactions WHERE message_id IN (\(binds: messageIDs))
            GROUP BY message_id, emoji ORDER BY message_id, MIN(created_at), emoji
            """
        ).allRecords(ReactionCount.self)
        return Dictionary(grouping: rows, by: \.messageID)
    }

    /// Erases a message's reactions (its deletion).
    public func removeAll(messageID: String, on db: DatabaseSession) async throws {
        try await db.raw("DELETE FROM message_reactions WHERE message_id = \(bind: messageID)").run()
    }
}
