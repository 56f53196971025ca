import VaporCSQLite

/// A failed statement on a `SQLiteDirectConnection`: SQLite's extended result code and its message
/// (which names tables and columns, never bound values).
struct SQLiteStatementError: Error, CustomStringConvertible {
    let code: Int32
    let message: String

    /// SQLITE_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_PRIMARYKEY and the bare SQLITE_CONSTRAINT.
    var isUniqueViolation: Bool { code == 2067 || code == 1555 || code == SQLITE_CONSTRAINT }

    var description: String { "SQLite error \(code): \(message)" }
}
