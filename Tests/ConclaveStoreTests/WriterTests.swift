import ConclaveCore
import ConclaveStore
import Foundation
import SQLKit
import Testing

@Suite struct WriterTests {
    @Test(arguments: TestDatabase.backends)
    func concurrentWritesAllCommit(backend: String) async throws {
        try await TestDatabase.with(backend) { database, _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        try await database.write { db in
                            try await db.raw(
                                "INSERT INTO workspaces (id, name, created_by, created_at, updated_at) VALUES (\(bind: "ws_writer\(String(format: "%06d", index))"), 'w', 'usr_x', 0, 0)"
                            ).run()
                        }
                    }
                }
                try await group.waitForAll()
            }
            let count = try await database.read { db in
                try await db.raw("SELECT COUNT(*) AS n FROM workspaces").first()!.decode(column: "n", as: Int.self)
            }
            #expect(count == 200)
        }
    }

    @Test(arguments: TestDatabase.backends)
    func aFailingWriteRollsBackAloneAndReportsConflict(backend: String) async throws {
        try await TestDatabase.with(backend) { database, _ in
            let insert: @Sendable (String) async throws -> Void = { id in
                try await database.write { db in
                    try await db.raw("INSERT INTO workspaces (id, name, created_by, created_at, updated_at) VALUES (\(bind: id), 'w', 'usr_x', 0, 0)").run()
                    try await db.raw("INSERT INTO workspaces (id, name, created_by, created_at, updated_at) VALUES (\(bind: id + "_b"), 'w', 'usr_x', 0, 0)").run()
                }
            }
            try await insert("ws_first")
            try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask { (try? await insert("ws_first")) != nil }
                group.addTask { (try? await insert("ws_second")) != nil }
                let outcomes = try await group.reduce(into: [Bool]()) { $0.append($1) }
                #expect(outcomes.filter { $0 }.count == 1)
            }
            await #expect(throws: StoreError.conflict) { try await insert("ws_first") }
            let ids = try await database.read { db in
                try await db.raw("SELECT id FROM workspaces ORDER BY id").all().map { try $0.decode(column: "id", as: String.self) }
            }
            #expect(ids == ["ws_first", "ws_first_b", "ws_second", "ws_second_b"])
        }
    }
}
