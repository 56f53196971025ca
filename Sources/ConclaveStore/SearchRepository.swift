import ConclaveCore
import SQLKit

/// Full-text search over live message text (`Migration0016Search`): SQLite FTS5 ranked by bm25,
/// PostgreSQL `tsvector` ranked by `ts_rank`, best first, then newest first. The query text is
/// built from `SearchQuery`'s parsed words and bound, never spliced into the SQL.
public struct SearchRepository: Sendable {
    public init() {}

    /// Which channels a reader may search: the ones it is a member of and, when its role reads
    /// public channels without joining (`ChannelPolicy.mayRead`), the workspace's public ones.
    public struct Scope: Sendable {
        public var workspaceID: String
        public var readerID: String
        public var readsPublicChannels: Bool
        public var channelID: String?
        public var senderID: String?

        public init(workspaceID: String, readerID: String, readsPublicChannels: Bool, channelID: String?, senderID: String?) {
            self.workspaceID = workspaceID
            self.readerID = readerID
            self.readsPublicChannels = readsPublicChannels
            self.channelID = channelID
            self.senderID = senderID
        }
    }

    public func search(_ query: SearchQuery, in scope: Scope, offset: Int, limit: Int, on db: DatabaseSession) async throws -> [MessageRecord] {
        var sql: SQLQueryString
        if db.isPostgres {
            let vector = Migration0016Search.searchVector
            sql = SQLQueryString("SELECT m.* FROM messages m WHERE " + vector + " @@ to_tsquery('simple', ")
            sql.appendInterpolation("\(bind: query.tsqueryExpression))" as SQLQueryString)
        } else {
            sql = "SELECT m.* FROM message_search JOIN messages m ON m.rowid = message_search.rowid WHERE message_search MATCH \(bind: query.ftsMatchExpression)"
        }
        sql.appendInterpolation(
            """
             AND m.workspace_id = \(bind: scope.workspaceID) AND m.deleted_at IS NULL
             AND (m.channel_id IN (SELECT cm.channel_id FROM channel_members cm WHERE cm.principal_id = \(bind: scope.readerID))
            """ as SQLQueryString
        )
        if scope.readsPublicChannels {
            sql.appendInterpolation(
                " OR m.channel_id IN (SELECT c.id FROM channels c WHERE c.workspace_id = \(bind: scope.workspaceID) AND c.private = 0)"
                    as SQLQueryString
            )
        }
        sql.appendInterpolation(SQLQueryString(")"))
        if let channelID = scope.channelID { sql.appendInterpolation(" AND m.channel_id = \(bind: channelID)" as SQLQueryString) }
        if let senderID = scope.senderID { sql.appendInterpolation(" AND m.sender_id = \(bind: senderID)" as SQLQueryString) }
        if db.isPostgres {
            let vector = Migration0016Search.searchVector
            sql.appendInterpolation(SQLQueryString(" ORDER BY ts_rank(" + vector + ", to_tsquery('simple', "))
            sql.appendInterpolation("\(bind: query.tsqueryExpression))) DESC" as SQLQueryString)
        } else {
            sql.appendInterpolation(SQLQueryString(" ORDER BY message_search.rank"))
        }
        sql.appendInterpolation(" , m.created_at DESC, m.id LIMIT \(bind: limit) OFFSET \(bind: offset)" as SQLQueryString)
        return try await db.raw(sql).allRecords(MessageRecord.self)
    }
}
