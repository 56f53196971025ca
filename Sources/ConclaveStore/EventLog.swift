import ConclaveCore
import SQLKit

/// One change in a workspace, as every delivery path (WebSocket, long-poll, webhooks) sees it.
public struct WorkspaceEvent: Sendable, Equatable {
    public var workspaceID: String
    /// Position in the workspace's log: 1, 2, 3… in commit order.
    public var seq: Int64
    public var type: EventType
    public var channelID: String?
    public var messageID: String?
    /// Who may see it: the members of `channelID`, every member, or one principal.
    public var visibility: EventVisibility
    public var data: JSONValue
    public var createdAt: Int64

    public init(
        workspaceID: String, seq: Int64, type: EventType, channelID: String?, messageID: String?, visibility: EventVisibility, data: JSONValue,
        createdAt: Int64
    ) {
        self.workspaceID = workspaceID
        self.seq = seq
        self.type = type
        self.channelID = channelID
        self.messageID = messageID
        self.visibility = visibility
        self.data = data
        self.createdAt = createdAt
    }
}

/// The durable per-workspace event log. An event is appended in the same transaction as the change
/// it describes, so it exists exactly when the change does. Seqs are allocated by incrementing the
/// workspace row, whose row lock orders concurrent appends: seq order is commit order, and a
/// reader that has seen seq N has seen everything before it.
public struct EventLog: Sendable {
    public init() {}

    @discardableResult
    public func append(
        workspaceID: String, type: EventType, channelID: String?, messageID: String? = nil, visibility: EventVisibility, data: JSONValue,
        now: Int64, on db: DatabaseSession
    ) async throws -> WorkspaceEvent {
        guard let seq = try await db.raw(
            "UPDATE workspaces SET event_seq = event_seq + 1 WHERE id = \(bind: workspaceID) RETURNING event_seq"
        ).first(decodingColumn: "event_seq", as: Int64.self) else { throw StoreError.notFound }
        let event = WorkspaceEvent(
            workspaceID: workspaceID, seq: seq, type: type, channelID: channelID, messageID: messageID, visibility: visibility, data: data,
            createdAt: now
        )
        try await db.raw(
            """
            INSERT INTO events (workspace_id, seq, type, channel_id, message_id, visibility, data, created_at)
            VALUES (\(bind: workspaceID), \(bind: seq), \(bind: type.rawValue), \(bind: channelID), \(bind: messageID), \(bind: visibility.rawValue),
                    \(bind: data.canonicalString), \(bind: now))
            """
        ).run()
        return event
    }

    /// Events after `seq` in order, at most `limit`.
    public func read(workspaceID: String, after seq: Int64, limit: Int, on db: DatabaseSession) async throws -> [WorkspaceEvent] {
        try await db.raw(
            """
            SELECT * FROM events WHERE workspace_id = \(bind: workspaceID) AND seq > \(bind: seq) ORDER BY seq LIMIT \(bind: limit)
            """
        ).allRecords(StoredEvent.self).map(\.event)
    }

    public func head(workspaceID: String, on db: DatabaseSession) async throws -> Int64 {
        try await db.raw("SELECT event_seq FROM workspaces WHERE id = \(bind: workspaceID)").first(decodingColumn: "event_seq", as: Int64.self) ?? 0
    }

    /// The last seq removed by retention (0 if none): a stream cannot resume from before it.
    public func prunedThrough(workspaceID: String, on db: DatabaseSession) async throws -> Int64 {
        try await db.raw("SELECT events_pruned_through FROM workspaces WHERE id = \(bind: workspaceID)")
            .first(decodingColumn: "events_pruned_through", as: Int64.self) ?? 0
    }

    /// Workspaces with events that may have outlived the retention window.
    public func workspacesToPrune(on db: DatabaseSession) async throws -> [(id: String, prunedThrough: Int64, head: Int64)] {
        try await db.raw(
            "SELECT id, events_pruned_through AS pruned_through, event_seq AS head FROM workspaces WHERE event_seq > events_pruned_through"
        ).allRecords(PruneCandidate.self).map { ($0.id, $0.prunedThrough, $0.head) }
    }

    /// The newest seq in (`after`, `head`] created before `cutoff`, found by binary search over
    /// the gapless seqs (created_at grows with seq), so it costs log2(n) point reads, not a scan.
    public func lastSeq(
        workspaceID: String, createdBefore cutoff: Int64, after: Int64, head: Int64, on db: DatabaseSession
    ) async throws -> Int64 {
        var low = after  // known old enough (or the floor)
        var high = head + 1  // known too new (or past the end)
        while high - low > 1 {
            let middle = low + (high - low) / 2
            let createdAt = try await db.raw(
                "SELECT created_at FROM events WHERE workspace_id = \(bind: workspaceID) AND seq = \(bind: middle)"
            ).first(decodingColumn: "created_at", as: Int64.self)
            if let createdAt, createdAt < cutoff { low = middle } else { high = middle }
        }
        return low
    }

    /// Removes events `from`...`through` of a workspace and records how far the log is pruned.
    public func prune(workspaceID: String, through seq: Int64, on db: DatabaseSession) async throws {
        try await db.raw("DELETE FROM events WHERE workspace_id = \(bind: workspaceID) AND seq <= \(bind: seq)").run()
        try await db.raw(
            "UPDATE workspaces SET events_pruned_through = \(bind: seq) WHERE id = \(bind: workspaceID) AND events_pruned_through < \(bind: seq)"
        ).run()
    }

    /// The oldest seq still in the log (older ones were pruned); 0 when empty.
    public func oldest(workspaceID: String, on db: DatabaseSession) async throws -> Int64 {
        try await db.raw("SELECT MIN(seq) AS first FROM events WHERE workspace_id = \(bind: workspaceID)").first()?
            .decode(column: "first", as: Int64?.self) ?? 0
    }

    /// Replaces the data of every `message.*` event about a message (used when its text is
    /// edited or erased). Its reactions' events keep their own shape (`scrubReactions`).
    public func scrub(messageID: String, data: JSONValue, on db: DatabaseSession) async throws {
        try await db.raw(
            """
            UPDATE events SET data = \(bind: data.canonicalString)
            WHERE message_id = \(bind: messageID) AND type IN ('message.created', 'message.updated', 'message.deleted')
            """
        ).run()
    }

    /// Erases who reacted with what, and who answered an approval request how (and their
    /// comment), from the events of a deleted message: they keep only the message and channel
    /// ids and `"deleted": true`.
    public func scrubReactions(messageID: String, channelID: String, on db: DatabaseSession) async throws {
        let data = JSONValue.object(["message_id": .string(messageID), "channel_id": .string(channelID), "deleted": true])
        try await db.raw(
            """
            UPDATE events SET data = \(bind: data.canonicalString)
            WHERE message_id = \(bind: messageID) AND type IN ('reaction.added', 'reaction.removed', 'approval.resolved')
            """
        ).run()
    }

    /// Erases message content from every event of a deleted channel (its messages go by cascade).
    public func scrubChannel(channelID: String, on db: DatabaseSession) async throws {
        try await db.raw(
            """
            UPDATE events SET data = \(bind: JSONValue.object(["deleted": true, "channel_id": .string(channelID)]).canonicalString)
            WHERE channel_id = \(bind: channelID) AND message_id IS NOT NULL
            """
        ).run()
    }

    struct PruneCandidate: Decodable {
        var id: String
        var prunedThrough: Int64
        var head: Int64
    }

    /// An `events` row, its data as canonical JSON text.
    struct StoredEvent: Decodable {
        var workspaceID: String
        var seq: Int64
        var type: EventType
        var channelID: String?
        var messageID: String?
        var visibility: EventVisibility
        var data: String
        var createdAt: Int64

        var event: WorkspaceEvent {
            WorkspaceEvent(
                workspaceID: workspaceID, seq: seq, type: type, channelID: channelID, messageID: messageID, visibility: visibility,
                data: (try? JSONValueParser.parse(data)) ?? .null, createdAt: createdAt
            )
        }
    }
}
