import ConclaveStore
import Foundation
import Logging
import PostgresNIO

/// A fresh, migrated database for one test: an SQLite file in a temporary directory, and, when
/// CONCLAVE_TEST_POSTGRES_URL names a PostgreSQL server, a new database created on it.
enum TestDatabase {
    static var logger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return logger
    }

    static var backends: [String] {
        ProcessInfo.processInfo.environment["CONCLAVE_TEST_POSTGRES_URL"] == nil ? ["sqlite"] : ["sqlite", "postgres"]
    }

    /// Runs `body` with a migrated database of the given backend and removes it afterwards.
    static func with<T: Sendable>(
        _ backend: String,
        migrate: Bool = true,
        _ body: @escaping @Sendable (any Database, DatabaseLocation) async throws -> T
    ) async throws -> T {
        let location: DatabaseLocation
        var cleanup: @Sendable () async throws -> Void = {}
        if backend == "postgres", let adminURL = ProcessInfo.processInfo.environment["CONCLAVE_TEST_POSTGRES_URL"] {
            let name = "conclave_swift_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
            try await admin(adminURL, "CREATE DATABASE \(name)")
            guard case .postgres(var settings) = try DatabaseLocation.parse(adminURL) else { fatalError("not a postgres URL") }
            settings.database = String(name)
            location = .postgres(settings)
            cleanup = { try await admin(adminURL, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
        } else {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("conclave-test-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            location = .sqlite(path: directory.appendingPathComponent("conclave.db").path)
            cleanup = { try? FileManager.default.removeItem(at: directory) }
        }
        do {
            let result = try await DatabaseFactory.with(location, logger: logger) { database in
                if migrate { try await Migrator(database: database).migrate() }
                return try await body(database, location)
            }
            try await cleanup()
            return result
        } catch {
            try? await cleanup()
            throw error
        }
    }

    /// Runs one statement outside any transaction on the admin database (CREATE/DROP DATABASE).
    static func admin(_ url: String, _ sql: String) async throws {
        guard case .postgres(let settings) = try DatabaseLocation.parse(url) else { return }
        let database = try PostgresDatabase(settings: settings, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await database.run() }
            try await database.execute(unsafeSQL: sql)
            group.cancelAll()
        }
    }
}
