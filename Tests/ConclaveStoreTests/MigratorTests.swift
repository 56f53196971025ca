import ConclaveCore
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

    /// Migration 14: messages from before provenance show hops 0, no trigger and no key (nothing
    /// recorded which key sent them), and every workspace gets the default loop budget.
    @Test(arguments: TestDatabase.backends)
    func existingMessagesAndWorkspacesGetProvenanceDefaults(backend: String) async throws {
        try await TestDatabase.with(backend, migrate: false) { database, _ in
            try await Migrator(database: database, migrations: Migrations.all.filter { $0.version < 14 }).migrate()
            try await database.write { db in
                try await db.raw("INSERT INTO users (id, kind, name, created_at, updated_at) VALUES ('usr_provenance1', 'human', 'P', 1, 1)").run()
                try await db.raw("INSERT INTO workspaces (id, name, created_by, created_at, updated_at) VALUES ('ws_provenance01', 'w', 'usr_provenance1', 1, 1)").run()
                try await db.raw(
                    """
                    INSERT INTO channels (id, workspace_id, kind, name, private, created_by, created_at, updated_at, last_seq)
                    VALUES ('ch_provenance01', 'ws_provenance01', 'channel', 'c', 0, 'usr_provenance1', 1, 1, 1)
                    """
                ).run()
                try await db.raw(
                    """
                    INSERT INTO messages (id, workspace_id, channel_id, seq, sender_id, sender_kind, kind, text, created_at)
                    VALUES ('msg_provenance01', 'ws_provenance01', 'ch_provenance01', 1, 'agt_provenance1', 'agent', 'message', 'hi', 1)
                    """
                ).run()
            }
            #expect(try await Migrator(database: database).migrate() == Migrations.all.map(\.version).filter { $0 >= 14 })
            let (message, workspace) = try await database.read { db in
                (try await MessageRepository().find(id: "msg_provenance01", on: db), try await WorkspaceRepository().find(id: "ws_provenance01", on: db))
            }
            #expect(message?.provenance == MessageProvenance(kind: .agent, keyID: nil, hops: 0, triggerID: nil))
            #expect(workspace?.loopBudget == 20)
        }
    }

    /// Migration 12 gives members who joined before handles existed the handle their name
    /// suggests, numbered on a clash in the order they joined, each workspace on its own.
    @Test(arguments: TestDatabase.backends)
    func handlesAreBackfilledUniquePerWorkspace(backend: String) async throws {
        try await TestDatabase.with(backend, migrate: false) { database, _ in
            try await Migrator(database: database, migrations: Migrations.all.filter { $0.version < 12 }).migrate()
            try await database.write { db in
                let users = [("usr_backfill0001", "Ann Lee"), ("usr_backfill0002", "ann lee"), ("usr_backfill0003", "张伟")]
                for (id, name) in users {
                    try await db.raw("INSERT INTO users (id, kind, name, created_at, updated_at) VALUES (\(bind: id), 'human', \(bind: name), 1, 1)").run()
                }
                for ws in ["ws_backfill0001", "ws_backfill0002"] {
                    try await db.raw("INSERT INTO workspaces (id, name, created_by, created_at, updated_at) VALUES (\(bind: ws), 'w', 'usr_backfill0001', 1, 1)").run()
                }
                try await db.raw(
                    "INSERT INTO agents (id, workspace_id, name, status, created_by, created_at, updated_at) VALUES ('agt_backfill0001', 'ws_backfill0001', 'Ann-Lee', 'active', 'usr_backfill0001', 1, 1)"
                ).run()
                let members = [
                    ("ws_backfill0001", "usr_backfill0002", 1), ("ws_backfill0001", "usr_backfill0001", 2), ("ws_backfill0001", "agt_backfill0001", 3),
                    ("ws_backfill0001", "usr_backfill0003", 4), ("ws_backfill0002", "usr_backfill0001", 5),
                ]
                for (ws, principal, at) in members {
                    try await db.raw(
                        "INSERT INTO memberships (workspace_id, principal_id, role, created_at) VALUES (\(bind: ws), \(bind: principal), 'member', \(bind: at))"
                    ).run()
                }
            }
            #expect(try await Migrator(database: database).migrate() == Migrations.all.map(\.version).filter { $0 >= 12 })
            let handles = try await database.read { db in
                var handles: [String: String] = [:]
                for row in try await db.raw("SELECT workspace_id, principal_id, handle FROM memberships").all() {
                    let key = try row.decode(column: "workspace_id", as: String.self) + "/" + row.decode(column: "principal_id", as: String.self)
                    handles[key] = try row.decode(column: "handle", as: String.self)
                }
                return handles
            }
            #expect(handles == [
                "ws_backfill0001/usr_backfill0002": "ann-lee",
                "ws_backfill0001/usr_backfill0001": "ann-lee-2",
                "ws_backfill0001/agt_backfill0001": "ann-lee-3",
                "ws_backfill0001/usr_backfill0003": "member",
                "ws_backfill0002/usr_backfill0001": "ann-lee",
            ])
            // The index holds from now on.
            await #expect(throws: (any Error).self) {
                try await database.write { db in
                    try await db.raw("UPDATE memberships SET handle = 'ann-lee' WHERE principal_id = 'agt_backfill0001'").run()
                }
            }
        }
    }
}
