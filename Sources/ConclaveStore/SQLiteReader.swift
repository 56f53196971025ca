import Logging
import SQLKit

/// One read connection and the thread its reads run on. A read runs wholly on that thread, so a
/// query is one call into SQLite with a prepared statement, not a trip through a thread pool.
final class SQLiteReader: Sendable {
    let connection: SQLiteDirectConnection
    let thread = SQLiteThread()
    let logger: Logger

    init(path: String, logger: Logger) throws {
        connection = try SQLiteDirectConnection(path: path)
        self.logger = logger
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (DatabaseSession) async throws -> T) async throws -> T {
        let db = DatabaseSession(SQLiteDirectSQLDatabase(connection: connection, logger: logger))
        return try await withTaskExecutorPreference(thread) { try await body(db) }
    }

    func close() async {
        let connection = self.connection
        await withTaskExecutorPreference(thread) { connection.close() }
        await thread.shutdown()
    }
}
