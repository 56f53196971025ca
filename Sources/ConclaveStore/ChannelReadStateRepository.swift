import ConclaveCore
import SQLKit

/// Channels with the caller's read state, a page of them in one statement. Each count is a
/// correlated subquery over `messages (channel_id, seq)` (the table's unique index) from the
/// read marker on, and looks at no more than the channel's newest `window` seqs: a member far
/// behind (100,000 unread cost about 70 ms per count on SQLite) costs what 1,000 unread do, so a
/// page of 200 channels stays bounded whatever their history.
public struct ChannelReadStateRepository: Sendable {
    /// How many of a channel's newest messages the counts look at: past that, `unread_count`
    /// says "at least this many" and older mentions are not counted.
    public static let window: Int64 = 1000

    public init() {}

    /// One page of the channels a principal may see (public channels of the workspace and those
    /// it belongs to), each with its read state.
    public func visible(
        to principalID: String, workspaceID: String, after cursor: String?, limit: Int, on db: DatabaseSession
    ) async throws -> [(channel: ChannelRecord, state: ChannelReadState)] {
        let rows = try await db.raw(
            Self.select(principalID: principalID, on: db) + """
             WHERE c.workspace_id = \(bind: workspaceID) AND c.id > \(bind: cursor ?? "")
               AND (c.private = 0 OR cm.principal_id IS NOT NULL)
             ORDER BY c.id LIMIT \(bind: limit)
            """
        ).all()
        return try rows.map { (try $0.decodeRecord(ChannelRecord.self), try $0.decodeRecord(Columns.self).state) }
    }

    /// The principal's read state of one channel (whose access was checked); nil when the
    /// channel does not exist.
    public func state(channelID: String, principalID: String, on db: DatabaseSession) async throws -> ChannelReadState? {
        try await db.raw(Self.select(principalID: principalID, on: db) + " WHERE c.id = \(bind: channelID)")
            .firstRecord(Columns.self)?.state
    }

    /// The channel, the principal's membership row, and the two counts after its marker (none
    /// without one: `seq > NULL` holds for no row).
    static func select(principalID: String, on db: DatabaseSession) -> SQLQueryString {
        // Mentions are stored as space-separated ids; padded with spaces, one id cannot match
        // inside another. `instr`/`strpos` compare exactly (SQLite's LIKE ignores ASCII case).
        let find = db.isPostgres ? "strpos" : "instr"
        // One lower bound (the later of the marker and the window's start) so the index range
        // starts there: given both, SQLite ranges over one and filters by the other. NULL, so no
        // row, without a marker.
        let unread = SQLQueryString(
            """
            FROM messages msg WHERE msg.channel_id = c.id
              AND msg.seq > CASE WHEN cm.last_read_seq >= c.last_seq - \(literal: window) THEN cm.last_read_seq
                                 WHEN cm.last_read_seq IS NOT NULL THEN c.last_seq - \(literal: window) END
              AND msg.sender_id <> \(bind: principalID) AND msg.deleted_at IS NULL
            """
        )
        return """
            SELECT c.*, cm.principal_id AS read_member, cm.last_read_seq AS read_seq,
              (SELECT COUNT(*) \(unread)) AS unread_count,
              (SELECT COUNT(*) \(unread) AND msg.kind <> \(bind: MessageKind.notice.rawValue)
                 AND (\(unsafeRaw: find)(' ' || msg.mentions || ' ', \(bind: " \(principalID) ")) > 0
                      OR \(unsafeRaw: find)(' ' || msg.mentions || ' ', ' channel ') > 0)) AS mention_count
            FROM channels c
            LEFT JOIN channel_members cm ON cm.channel_id = c.id AND cm.principal_id = \(bind: principalID)
            """
    }

    struct Columns: Decodable {
        var readMember: String?
        var readSeq: Int64?
        var unreadCount: Int64
        var mentionCount: Int64

        var state: ChannelReadState {
            guard readMember != nil else { return .notMember }
            return ChannelReadState(isMember: true, lastReadSeq: readSeq, unreadCount: unreadCount, mentionCount: mentionCount)
        }
    }
}
