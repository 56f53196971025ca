import ConclaveCore
import SQLKit

/// Messages. Deleting erases text and metadata in place (a tombstone keeps the seq); with SQLite's
/// secure_delete the old bytes are overwritten, not just unlinked.
public struct MessageRepository: Sendable {
    public init() {}

    public func insert(_ message: MessageRecord, on db: DatabaseSession) async throws {
        try await db.raw(
            """
            INSERT INTO messages (id, workspace_id, channel_id, seq, sender_id, sender_kind, kind, text, metadata, mentions, thread_id,
                                  reply_count, client_msg_id, created_at, edited_at, deleted_at, key_id, hops, trigger_id, approval, streaming_until, files)
            VALUES (\(bind: message.id), \(bind: message.workspaceID), \(bind: message.channelID), \(bind: message.seq), \(bind: message.senderID),
                    \(bind: message.senderKind.rawValue), \(bind: message.kind.rawValue), \(bind: message.text), \(bind: message.metadata),
                    \(bind: message.$mentions), \(bind: message.threadID), 0, \(bind: message.clientMsgID),
                    \(bind: message.createdAt), NULL, NULL, \(bind: message.keyID), \(bind: message.hops), \(bind: message.triggerID),
                    \(bind: message.approval), \(bind: message.streamingUntil), \(bind: message.files))
            """
        ).run()
    }

    /// Counts a reply in its root's `reply_count`; false when the root is deleted. Call before
    /// inserting the reply: on PostgreSQL the update waits for a concurrent deletion of the root
    /// (its row lock) and then sees it, so a reply can never attach to a root deleted meanwhile.
    public func countReply(to rootID: String, on db: DatabaseSession) async throws -> Bool {
        try await db.raw(
            "UPDATE messages SET reply_count = reply_count + 1 WHERE id = \(bind: rootID) AND deleted_at IS NULL RETURNING id"
        ).first() != nil
    }

    /// The latest message of a thread: of the channel's top level when `threadID` is nil, else
    /// the latest reply (nil when there is none yet). Read after the channel row's lock
    /// (`ChannelRepository.nextSeq`), so it is the latest of every committed send of the channel.
    public func latest(channelID: String, threadID: String?, on db: DatabaseSession) async throws -> MessageRecord? {
        if let threadID {
            return try await db.raw("SELECT * FROM messages WHERE thread_id = \(bind: threadID) ORDER BY seq DESC LIMIT 1")
                .firstRecord(MessageRecord.self)
        }
        return try await db.raw(
            "SELECT * FROM messages WHERE channel_id = \(bind: channelID) AND thread_id IS NULL ORDER BY seq DESC LIMIT 1"
        ).firstRecord(MessageRecord.self)
    }

    /// Marks that the run of agent messages ending at `messageID` was refused by the loop budget
    /// (`flag` 1: in the message's own thread or top level; 2: in the thread under this root).
    /// True only the first time, so the refusal is audited once per run; concurrent refusals
    /// serialise on the row (PostgreSQL re-checks the flag after the row lock).
    public func markLoopRefused(messageID: String, flag: Int64, on db: DatabaseSession) async throws -> Bool {
        try await db.raw(
            """
            UPDATE messages SET loop_refused = loop_refused + \(bind: flag)
            WHERE id = \(bind: messageID) AND (loop_refused / \(bind: flag)) % 2 = 0 RETURNING id
            """
        ).first() != nil
    }

    public func find(id: String, on db: DatabaseSession) async throws -> MessageRecord? {
        try await db.raw("SELECT * FROM messages WHERE id = \(bind: id)").firstRecord(MessageRecord.self)
    }

    /// A sender's message with this client_msg_id in this channel: the id is unique per sender and
    /// channel, so reusing it elsewhere never names (or hands back) another channel's message.
    public func find(senderID: String, channelID: String, clientMsgID: String, on db: DatabaseSession) async throws -> MessageRecord? {
        try await db.raw(
            """
            SELECT * FROM messages WHERE sender_id = \(bind: senderID) AND channel_id = \(bind: channelID) AND client_msg_id = \(bind: clientMsgID)
            """
        ).firstRecord(MessageRecord.self)
    }

    /// Frees a client_msg_id whose idempotency window has passed, so the sender may use it again.
    public func releaseClientMsgID(messageID: String, on db: DatabaseSession) async throws {
        try await db.raw("UPDATE messages SET client_msg_id = NULL WHERE id = \(bind: messageID)").run()
    }

    /// A page of a channel in seq order: after `afterSeq` ascending, or before `beforeSeq` (the
    /// newest `limit` before it, returned ascending).
    /// Up to `limit` messages of the window, read from its newest end when `descending`, and
    /// returned in the order read.
    public func list(
        channelID: String, afterSeq: Int64?, beforeSeq: Int64?, threadID: String?, descending: Bool, limit: Int,
        on db: DatabaseSession
    ) async throws -> [MessageRecord] {
        var query = SQLQueryString("SELECT * FROM messages WHERE channel_id = \(bind: channelID)")
        if let afterSeq { query.appendInterpolation(" AND seq > \(bind: afterSeq)" as SQLQueryString) }
        if let beforeSeq { query.appendInterpolation(" AND seq < \(bind: beforeSeq)" as SQLQueryString) }
        if let threadID { query.appendInterpolation(" AND (thread_id = \(bind: threadID) OR id = \(bind: threadID))" as SQLQueryString) }
        query.appendInterpolation(SQLQueryString(descending ? " ORDER BY seq DESC" : " ORDER BY seq ASC"))
        query.appendInterpolation(" LIMIT \(bind: limit)" as SQLQueryString)
        return try await db.raw(query).allRecords(MessageRecord.self)
    }

    /// Replaces the text of a live message; false when it was deleted meanwhile (an edit racing
    /// a deletion must not write the text back).
    public func edit(id: String, text: String, mentions: [String], now: Int64, on db: DatabaseSession) async throws -> Bool {
        try await db.raw(
            """
            UPDATE messages SET text = \(bind: text), mentions = \(bind: mentions.joined(separator: " ")), edited_at = \(bind: now)
            WHERE id = \(bind: id) AND deleted_at IS NULL RETURNING id
            """
        ).first() != nil
    }

    /// Erases a live message; false when it was already deleted. A deleted reply no longer counts
    /// in its root's `reply_count`. The erase is conditional on the row, so of two concurrent
    /// deletes only one lowers the count (PostgreSQL re-checks `deleted_at` after the row lock).
    public func erase(id: String, now: Int64, on db: DatabaseSession) async throws -> Bool {
        guard let erased = try await db.raw(
            """
            UPDATE messages SET text = NULL, metadata = NULL, mentions = '', client_msg_id = NULL, approval = NULL, streaming_until = NULL, files = NULL, deleted_at = \(bind: now)
            WHERE id = \(bind: id) AND deleted_at IS NULL RETURNING thread_id
            """
        ).firstRecord(ErasedMessage.self) else { return false }
        if let threadID = erased.threadID {
            try await db.raw("UPDATE messages SET reply_count = reply_count - 1 WHERE id = \(bind: threadID) AND reply_count > 0").run()
        }
        return true
    }

    struct ErasedMessage: Decodable {
        var threadID: String?
    }
}
