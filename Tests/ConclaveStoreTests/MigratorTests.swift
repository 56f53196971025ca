import ConclaveStore
import SQLKit
import Testing

@Suite struct MigratorTests {
    @Test(arguments: TestDatabase.backends)
    func migrationsApplyOnceAndAreIdempotent(backend: String) async throws {
        try await TestDatabase.with(backend, migrate: false) { database, _ in
            let migrator = Migrator(database: database)
            #expect(try await migrator.currentVersion() == nil)
            let first = try await migrator.migrate()
            #expect(first == Migrations.all.map(\.version))
            let second = try await migrator.migrate()
            #expect(second.isEmpty)
            #expect(try await migrator.currentVersion() == Migrations.all.map(\.version).max())
        }
    }

    @Test(arguments: TestDatabase.backends)
    func concurrentMigrationsDoNotCollide(backend: String) async throws {
        try await TestDatabase.with(backend, migrate: false) { database, _ in
            let results = try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<4 { group.addTask { try await Migrator(database: database).migrate() } }
                return try await group.reduce(into: [[Int]]()) { $0.append($1) }
            }
            #expect(results.filter { !$0.isEmpty }.count == 1)
        }
    }

    @Test(arguments: TestDatabase.backends)
    func failedMigrationLeavesNoTrace(backend: String) async throws {
        struct Broken: Migration {
            let version = 9999
            let name = "broken"
            func statements(for kind: DatabaseKind) -> [String] {
                ["CREATE TABLE half_done (id TEXT PRIMARY KEY)", "THIS IS NOT SQL"]
            }
        }
        try await TestDatabase.with(backend) { database, _ in
            await #expect(throws: (any Error).self) {
                try await Migrator(database: database, migrations: Migrations.all + [Broken()]).migrate()
            }
            let version = try await Migrator(database: database).currentVersion()
            #expect(version == Migrations.all.map(\.version).max())
            // The first statement of the failed migration was rolled back with the rest.
            await #expect(throws: (any Error).self) {
                try await database.read { db in try await db.raw("SELECT id FROM half_done").all() }
            }
        }
    }
}
