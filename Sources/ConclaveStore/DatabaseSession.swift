import SQLKit

/// What one read, or one write transaction, runs its statements on. Repositories take it; the
/// layers above pass it along and never see SQL or the SQL library's types.
public struct DatabaseSession: Sendable {
    let sql: any SQLDatabase

    init(_ sql: any SQLDatabase) {
        self.sql = sql
    }

    /// A statement written out in SQL (with bound values).
    public func raw(_ query: SQLQueryString) -> SQLRawBuilder {
        sql.raw(query)
    }

    /// The backend's SQL dialect, for the few statements that differ (row locks).
    public var dialect: any SQLDialect { sql.dialect }

    /// Whether statements run on PostgreSQL (which takes row locks; SQLite's writer is single).
    var isPostgres: Bool { sql.dialect.name == "postgresql" }
}
