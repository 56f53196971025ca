import Logging

/// Opens the configured backend.
public enum DatabaseFactory {
    public static func open(_ location: DatabaseLocation, logger: Logger) async throws -> any Database {
        switch location {
        case .sqlite(let path):
            return try await SQLiteDatabase.open(path: path, logger: logger)
        case .postgres(let settings):
            return try PostgresDatabase(settings: settings, logger: logger)
        }
    }

    /// Opens the database, keeps its background work running while `body` runs, then shuts it down.
    /// For commands (migrate, audit verify) that use the database outside the server's lifecycle.
    public static func with<T: Sendable>(
        _ location: DatabaseLocation,
        logger: Logger,
        _ body: @escaping @Sendable (any Database) async throws -> T
    ) async throws -> T {
        let database = try await open(location, logger: logger)
        do {
            let result = try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask {
                    try await database.run()
                    return nil
                }
                group.addTask { try await body(database) }
                while let next = try await group.next() {
                    if let value = next {
                        group.cancelAll()
                        return value
                    }
                }
                throw CancellationError()
            }
            await database.shutdown()
            return result
        } catch {
            await database.shutdown()
            throw error
        }
    }
}
