import ConclaveCore
import ConclaveStore
import SQLKit
import Testing

/// Migration 16 indexes the live text of messages sent before it, and from then on the index
/// follows every change of a message's text in the statement that makes it (SQLite triggers,
/// PostgreSQL expression index), so what `SearchRepository` finds is the text as it is now.
@Suite struct SearchIndexTests {
    let scope = SearchRepository.Scope(workspaceID: "ws_search00001", readerID: "usr_search00001", readsPublicChannels: false,
                                       channelID: nil, senderID: nil)

    func found(_ text: String, in database: any Database) async throws -> [String] {
        let query = try SearchQuery(parsing: text)
        return try await database.read { db in
            try await SearchRepository().search(query, in: scope, offset: 0, limit: 10, on: db).map(\.id)
        }
    }

    @Test(arguments: TestDatabase.backends)
    func existingMessagesAreIndexedAndEveryChangeFollows(backend: String) async throws {
        try await TestDatabase.with(backend, migrate: false) { database, _ in
            try await Migrator(database: database, migrations: Migrations.all.filter { $0.version < 16 }).migrate()
            try await database.write { db in
                try await db.raw("INSERT INTO users (id, kind, name, created_at, updated_at) VALUES ('usr_search00001', 'human', 'S', 1, 1)").run()
                try await db.raw("INSERT INTO workspaces (id, name, created_by, created_at, updated_at) VALUES ('ws_search00001', 'w', 'usr_search00001', 1, 1)").run()
                try await db.raw("INSERT INTO memberships (workspace_id, principal_id, role, created_at, handle) VALUES ('ws_search00001', 'usr_search00001', 'owner', 1, 's')").run()
                try await db.raw(
                    """
                    INSERT INTO channels (id, workspace_id, kind, name, private, created_by, created_at, updated_at, last_seq)
                    VALUES ('ch_search00001', 'ws_search00001', 'channel', 'c', 1, 'usr_search00001', 1, 1, 3)
                    """
                ).run()
                try await db.raw("INSERT INTO channel_members (channel_id, principal_id, joined_at) VALUES ('ch_search00001', 'usr_search00001', 1)").run()
                for (id, seq, text, deleted) in [("msg_search00001", 1, "Deploy the blue green app", false), ("msg_search00002", 2, nil, true),
                                                  ("msg_search00003", 3, "rollback plan", false)] {
                    try await db.raw(
                        """
                        INSERT INTO messages (id, workspace_id, channel_id, seq, sender_id, sender_kind, kind, text, created_at, deleted_at)
                        VALUES (\(bind: id), 'ws_search00001', 'ch_search00001', \(bind: seq), 'usr_search00001', 'human', 'message', \(bind: text),
                                \(bind: seq), \(bind: deleted ? 5 : nil))
                        """
                    ).run()
                }
            }
            #expect(try await Migrator(database: database).migrate() == Migrations.all.map(\.version).filter { $0 >= 16 })
            #expect(try await found("deploy", in: database) == ["msg_search00001"])
            #expect(try await found("\"blue green\" ap*", in: database) == ["msg_search00001"])
            #expect(try await found("\"green blue\"", in: database) == [])

            _ = try await database.write { db in try await MessageRepository().edit(id: "msg_search00001", text: "ship it", mentions: [], now: 9, on: db) }
            #expect(try await found("deploy", in: database) == [])
            #expect(try await found("ship", in: database) == ["msg_search00001"])
            _ = try await database.write { db in try await MessageRepository().erase(id: "msg_search00003", now: 9, on: db) }
            #expect(try await found("rollback", in: database) == [])
            // Leaving the channel: nothing of it is found any more.
            try await database.write { db in try await db.raw("DELETE FROM channel_members WHERE principal_id = 'usr_search00001'").run() }
            #expect(try await found("ship", in: database) == [])
        }
    }
}
