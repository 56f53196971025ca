import Foundation
import SQLKit

/// Applies pending migrations in one transaction, so a failed migration leaves the schema as it was.
///
/// On PostgreSQL an advisory lock serialises servers that start at the same moment; SQLite's single
/// writer does the same for free.
public struct Migrator: Sendable {
    public let database: any Database
    public let migrations: [any Migration]

    public init(database: any Database, migrations: [any Migration] = Migrations.all) {
        self.database = database
        self.migrations = migrations
    }

    /// Returns the versions applied by this call (empty when the schema was current).
    @discardableResult
    public func migrate() async throws -> [Int] {
        let kind = database.kind
        let migrations = self.migrations
        return try await database.write { db in
            if kind == .postgres {
                try await db.raw("SELECT pg_advisory_xact_lock(7350001)").run()
            }
            try await db.raw(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
            ).run()
            let applied = Set(
                try await db.raw("SELECT version FROM schema_migrations").all(decodingColumn: "version", as: Int.self)
            )
            var done: [Int] = []
            for migration in migrations.sorted(by: { $0.version < $1.version }) where !applied.contains(migration.version) {
                for statement in migration.statements(for: kind) {
                    try await db.raw(SQLQueryString(statement)).run()
                }
                try await migration.backfill(on: db)
                for statement in migration.finishingStatements(for: kind) {
                    try await db.raw(SQLQueryString(statement)).run()
                }
                try await db.raw(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (\(bind: migration.version), \(bind: migration.name), \(bind: Clock.milliseconds()))"
                ).run()
                done.append(migration.version)
            }
            return done
        }
    }

    /// The highest applied version, or nil before the first migration.
    public func currentVersion() async throws -> Int? {
        try await database.read { db in
            let exists: Bool
            switch database.kind {
            case .sqlite:
                exists = try await db.raw("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").first() != nil
            case .postgres:
                exists = try await db.raw("SELECT to_regclass('schema_migrations') IS NOT NULL AS present").first(decodingColumn: "present", as: Bool.self) ?? false
            }
            guard exists else { return nil }
            return try await db.raw("SELECT MAX(version) AS version FROM schema_migrations").first()?.decode(column: "version", as: Int?.self)
        }
    }
}
