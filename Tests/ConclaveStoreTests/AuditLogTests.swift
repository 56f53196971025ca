import ConclaveCore
import ConclaveStore
import SQLKit
import Testing

@Suite struct AuditLogTests {
    static func appendSome(_ database: any Database, count: Int, workspace: String? = "ws_testtesttest") async throws {
        for index in 0..<count {
            try await database.write { db in
                try await AuditRepository().append(
                    AuditEvent(
                        actor: AuditActor(id: "usr_aaaaaaaaaaaa", kind: .human, ip: "127.0.0.1"),
                        action: "test.action",
                        target: "tgt_\(index)",
                        workspaceID: workspace,
                        details: ["index": .int(Int64(index))]
                    ),
                    on: db,
                    kind: database.kind
                )
            }
        }
    }

    static func dropTriggers(_ database: any Database) async throws {
        try await database.write { db in
            switch database.kind {
            case .sqlite:
                try await db.raw("DROP TRIGGER audit_log_no_update").run()
                try await db.raw("DROP TRIGGER audit_log_no_delete").run()
            case .postgres:
                try await db.raw("ALTER TABLE audit_log DISABLE TRIGGER USER").run()
            }
        }
    }

    /// The review timed the `actor` filter at 9.4 ms a request over 50,000 entries: no index
    /// served it and every page scanned the chain. SQLite's plan for the real statement must use
    /// the actor index (and the action filter its own).
    @Test func filteredListingsAreServedByAnIndex() async throws {
        try await TestDatabase.with("sqlite") { database, _ in
            try await Self.appendSome(database, count: 20)
            let repository = AuditRepository()
            for (query, index) in [
                (repository.listQuery(chain: "ws_testtesttest", afterSeq: 0, limit: 50, actorID: "usr_aaaaaaaaaaaa"), "audit_log_actor"),
                (repository.listQuery(chain: "ws_testtesttest", afterSeq: 0, limit: 50, action: "test.action"), "audit_log_action"),
            ] {
                var statement: SQLQueryString = "EXPLAIN QUERY PLAN "
                statement.appendInterpolation(query)
                let explain = statement
                let plan = try await database.read { db in
                    try await db.raw(explain).all().map { try $0.decode(column: "detail", as: String.self) }
                }
                #expect(plan.contains { $0.contains("USING INDEX \(index)") }, "plan: \(plan)")
                #expect(!plan.contains { $0.hasPrefix("SCAN") }, "plan: \(plan)")
            }
        }
    }

    @Test(arguments: TestDatabase.backends)
    func anIntactChainVerifies(backend: String) async throws {
        try await TestDatabase.with(backend) { database, _ in
            try await Self.appendSome(database, count: 5)
            try await Self.appendSome(database, count: 2, workspace: nil)
            let report = try await AuditVerifier(database: database).verify()
            #expect(report.finding == nil)
            #expect(report.entriesChecked == 7)
            #expect(report.chainsChecked == 2)
        }
    }

    @Test(arguments: TestDatabase.backends)
    func theApplicationCannotUpdateOrDeleteAuditRows(backend: String) async throws {
        try await TestDatabase.with(backend) { database, _ in
            try await Self.appendSome(database, count: 2)
            await #expect(throws: (any Error).self) {
                try await database.write { db in try await db.raw("UPDATE audit_log SET details = '{}'").run() }
            }
            await #expect(throws: (any Error).self) {
                try await database.write { db in try await db.raw("DELETE FROM audit_log").run() }
            }
            #expect(try await AuditVerifier(database: database).verify().entriesChecked == 2)
        }
    }

    @Test(arguments: TestDatabase.backends)
    func aChangedRowIsNamed(backend: String) async throws {
        try await TestDatabase.with(backend) { database, _ in
            try await Self.appendSome(database, count: 5)
            try await Self.dropTriggers(database)
            try await database.write { db in
                try await db.raw("UPDATE audit_log SET details = '{\"index\":99}' WHERE seq = 3").run()
            }
            let report = try await AuditVerifier(database: database).verify()
            guard case .alteredEntry(_, let seq, _) = report.finding else {
                Issue.record("expected an altered entry, got \(String(describing: report.finding))")
                return
            }
            #expect(seq == 3)
        }
    }

    @Test(arguments: TestDatabase.backends)
    func aDeletedRowBreaksTheChainAtTheNextEntry(backend: String) async throws {
        try await TestDatabase.with(backend) { database, _ in
            try await Self.appendSome(database, count: 5)
            try await Self.dropTriggers(database)
            try await database.write { db in try await db.raw("DELETE FROM audit_log WHERE seq = 2").run() }
            let report = try await AuditVerifier(database: database).verify()
            guard case .brokenLink(_, let seq, _, let expected) = report.finding else {
                Issue.record("expected a broken link, got \(String(describing: report.finding))")
                return
            }
            #expect(seq == 3)
            #expect(expected == 2)
        }
    }

    @Test(arguments: TestDatabase.backends)
    func concurrentAppendsKeepOneChain(backend: String) async throws {
        try await TestDatabase.with(backend) { database, _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 { group.addTask { try await Self.appendSome(database, count: 5) } }
                try await group.waitForAll()
            }
            let report = try await AuditVerifier(database: database).verify()
            #expect(report.finding == nil)
            #expect(report.entriesChecked == 40)
        }
    }
}
