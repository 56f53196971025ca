import ConclaveCore
import SQLKit

/// Full-text search over live message text (`Migration0016Search`). The query text is built
/// from `SearchQuery`'s parsed words and bound, never spliced into the SQL.
///
/// Ranking is bounded: the newest `rankWindow` matches the reader may see are found in index
/// order (cheap: no scoring), and only those are ranked (SQLite FTS5 bm25, PostgreSQL
/// `ts_rank`), best first, then newest first. A word found in 100,000 messages therefore costs
/// about what a rarer one does, instead of scoring every match (see bench/RESULTS.md); a match
/// older than the newest `rankWindow` is found by a narrower query or filter.
public struct SearchRepository: Sendable {
    public static let rankWindow = 2000

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
            sql = SQLQueryString("SELECT m.* FROM messages m WHERE m.id IN (SELECT f.id FROM messages f WHERE " + vector + " @@ to_tsquery('simple', ")
            sql.appendInterpolation("\(bind: query.tsqueryExpression))" as SQLQueryString)
            sql.appendInterpolation(visible(to: scope))
            sql.appendInterpolation(" ORDER BY f.created_at DESC, f.id DESC LIMIT \(bind: Self.rankWindow))" as SQLQueryString)
            sql.appendInterpolation(SQLQueryString(" ORDER BY ts_rank(" + vector + ", to_tsquery('simple', "))
            sql.appendInterpolation("\(bind: query.tsqueryExpression))) DESC" as SQLQueryString)
        } else {
            sql = """
                SELECT m.* FROM (SELECT message_search.rowid AS hit, message_search.rank AS score
                FROM message_search JOIN messages f ON f.rowid = message_search.rowid WHERE message_search MATCH \(bind: query.ftsMatchExpression)
                """
            sql.appendInterpolation(visible(to: scope))
            sql.appendInterpolation(" ORDER BY message_search.rowid DESC LIMIT \(bind: Self.rankWindow)) AS hits" as SQLQueryString)
            sql.appendInterpolation(SQLQueryString(" JOIN messages m ON m.rowid = hits.hit ORDER BY hits.score"))
        }
        sql.appendInterpolation(" , m.created_at DESC, m.id LIMIT \(bind: limit) OFFSET \(bind: offset)" as SQLQueryString)
        return try await db.raw(sql).allRecords(MessageRecord.self)
    }

    /// The conditions on candidate `f`: the workspace, live, a channel the reader may read, and
    /// the request's filters.
    private func visible(to scope: Scope) -> SQLQueryString {
        var sql: SQLQueryString = """
             AND f.workspace_id = \(bind: scope.workspaceID) AND f.deleted_at IS NULL
             AND (f.channel_id IN (SELECT cm.channel_id FROM channel_members cm WHERE cm.principal_id = \(bind: scope.readerID))
            """
        if scope.readsPublicChannels {
            sql.appendInterpolation(
                " OR f.channel_id IN (SELECT c.id FROM channels c WHERE c.workspace_id = \(bind: scope.workspaceID) AND c.private = 0)"
                    as SQLQueryString
            )
        }
        sql.appendInterpolation(SQLQueryString(")"))
        if let channelID = scope.channelID { sql.appendInterpolation(" AND f.channel_id = \(bind: channelID)" as SQLQueryString) }
        if let senderID = scope.senderID { sql.appendInterpolation(" AND f.sender_id = \(bind: senderID)" as SQLQueryString) }
        return sql
    }
}
