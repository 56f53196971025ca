import ConclaveCore
@testable import ConclaveStore
import Foundation
import SQLKit
import Synchronization
import Testing

/// Write transactions and notifications on a real PostgreSQL (skipped without
/// CONCLAVE_TEST_POSTGRES_URL): a genuine deadlock between two connections, a transaction
/// aborted every time, and NOTIFYs that travel with their transaction.
@Suite struct PostgresTransactionTests {
    static var postgresAvailable: Bool { TestDatabase.backends.contains("postgres") }

    @Test(.enabled(if: postgresAvailable))
    func theDeadlockVictimIsRunAgainAndBothWritesCommit() async throws {
        try await TestDatabase.with("postgres") { database, _ in
            try await database.write { db in
                try await db.raw("CREATE TABLE deadlock_test (id INT PRIMARY KEY, n INT NOT NULL DEFAULT 0)").run()
                try await db.raw("INSERT INTO deadlock_test (id) VALUES (1), (2)").run()
            }
            let attempts = Counter()
            let firstHeld = Latch()
            let secondHeld = Latch()
            // Each takes one row, waits until the other holds the other row, then asks for it:
            // PostgreSQL aborts one of them (40P01). Run again, the latches are open, and the
            // second attempt simply waits for the winner's commit.
            func lockBoth(_ first: Int, then second: Int, holding mine: Latch, after theirs: Latch) async throws {
                try await database.write { db in
                    attempts.increment()
                    try await db.raw("UPDATE deadlock_test SET n = n + 1 WHERE id = \(bind: first)").run()
                    mine.open()
                    await theirs.wait()
                    try await db.raw("UPDATE deadlock_test SET n = n + 1 WHERE id = \(bind: second)").run()
                }
            }
            async let one: Void = lockBoth(1, then: 2, holding: firstHeld, after: secondHeld)
            async let two: Void = lockBoth(2, then: 1, holding: secondHeld, after: firstHeld)
            _ = try await (one, two)
            #expect(attempts.value == 3)
            let counts = try await database.read { db in
                try await db.raw("SELECT n FROM deadlock_test ORDER BY id").all().map { try $0.decode(column: "n", as: Int.self) }
            }
            #expect(counts == [2, 2])
        }
    }

    @Test(.enabled(if: postgresAvailable))
    func aTransactionAbortedEveryTimeEndsBusyAfterTheLastAttempt() async throws {
        try await TestDatabase.with("postgres") { database, _ in
            let (error, attempts) = await Self.writeRaising("serialization_failure", on: database)
            #expect(error as? StoreError == .busy)
            #expect(attempts == PostgresDatabase.writeAttempts)
        }
    }

    @Test(.enabled(if: postgresAvailable))
    func otherErrorsAreNotRetried() async throws {
        try await TestDatabase.with("postgres") { database, _ in
            let (error, attempts) = await Self.writeRaising("unique_violation", on: database)
            #expect(error as? StoreError == .conflict)
            #expect(attempts == 1)
        }
    }

    /// A write whose one statement raises the error `condition` (a PostgreSQL condition name):
    /// what the write threw, and how many times its closure ran.
    static func writeRaising(_ condition: String, on database: any Database) async -> (error: (any Error)?, attempts: Int) {
        let attempts = Counter()
        do {
            try await database.write { db in
                attempts.increment()
                try await db.raw(SQLQueryString("DO $$ BEGIN RAISE EXCEPTION 'test' USING ERRCODE = '\(condition)'; END $$")).run()
            }
            return (nil, attempts.value)
        } catch {
            return (error, attempts.value)
        }
    }

    @Test(.enabled(if: postgresAvailable))
    func aRevocationIsAnnouncedByItsCommitAndNeverByARollback() async throws {
        try await TestDatabase.with("postgres") { database, _ in
            let postgres = try #require(database as? PostgresDatabase)
            let (user, session) = try await Self.userWithSession(on: database)
            let heard = try await Heard(postgres, channel: NotificationChannel.credentials)
            defer { heard.stop() }

            struct Rollback: Error {}
            await #expect(throws: Rollback.self) {
                try await database.write { db in
                    #expect(try await SessionRepository().revoke(id: session, reason: "test", now: 1, on: db))
                    throw Rollback()
                }
            }
            // A marker after the rollback: had the rolled-back revocation been announced, its
            // notification would arrive first.
            await postgres.notify(channel: NotificationChannel.credentials, payload: "marker")
            _ = try await database.write { db in
                try await SessionRepository().revokeAll(userID: user, keeping: nil, reason: "test", now: 2, on: db)
            }
            #expect(await heard.next(2) == ["marker", ""])
        }
    }

    @Test(.enabled(if: postgresAvailable))
    func aJoinIsAnnouncedByItsCommit() async throws {
        try await TestDatabase.with("postgres") { database, _ in
            let postgres = try #require(database as? PostgresDatabase)
            let (user, _) = try await Self.userWithSession(on: database)
            let heard = try await Heard(postgres, channel: NotificationChannel.events)
            defer { heard.stop() }
            try await database.write { db in
                try await WorkspaceRepository().insert(WorkspaceRecord(id: "ws_notifytest0001", name: "N", createdBy: user, createdAt: 1), on: db)
                try await WorkspaceRepository().addMember(
                    workspaceID: "ws_notifytest0001", principalID: user, role: .member, joinedSeq: 7, now: 1, on: db
                )
            }
            #expect(await heard.next(1) == [JoinNotification(principalID: user, workspaceID: "ws_notifytest0001", seq: 7).payload])
        }
    }

    static func userWithSession(on database: any Database) async throws -> (user: String, session: String) {
        let user = "usr_notifytest0001"
        let session = "ses_notifytest0001"
        try await database.write { db in
            try await UserRepository().insert(
                UserRecord(id: user, kind: .human, email: "n@example.com", name: "N", passwordHash: nil, failedLogins: 0, lockedUntil: nil,
                           totpSecret: nil, totpEnabled: false, totpLastCounter: nil, createdAt: 1),
                on: db
            )
            try await SessionRepository().insert(
                SessionRecord(id: session, userID: user, createdAt: 1, lastUsedAt: 1, expiresAt: Int64.max / 2, revokedAt: nil, ip: nil,
                              userAgent: nil, mfa: false),
                refreshTokenHash: "notifytest", on: db
            )
        }
        return (user, session)
    }
}

final class Counter: Sendable {
    private let count = Mutex(0)

    func increment() { count.withLock { $0 += 1 } }

    var value: Int { count.withLock { $0 } }
}

/// Opens once; every waiter, earlier or later, passes.
final class Latch: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let passNow = state.withLock { state in
                if !state.open { state.waiters.append(continuation) }
                return state.open
            }
            if passNow { continuation.resume() }
        }
    }
}

/// The payloads a LISTEN on one channel receives, from the moment it is in place.
final class Heard: Sendable {
    let stream: AsyncStream<String>
    let listener: Task<Void, Never>

    init(_ postgres: PostgresDatabase, channel: String) async throws {
        let (stream, continuation) = AsyncStream<String>.makeStream()
        let listening = Latch()
        self.stream = stream
        listener = Task { await postgres.listen(channel: channel, onListening: { listening.open() }) { continuation.yield($0) } }
        await listening.wait()
    }

    /// The next `count` payloads, or what arrived of them within 10 s.
    func next(_ count: Int) async -> [String] {
        let stream = self.stream
        let received = Mutex<[String]>([])
        _ = await TimeLimit.run(.seconds(10)) {
            for await payload in stream {
                let done = received.withLock { $0.append(payload); return $0.count >= count }
                if done { return }
            }
        }
        return received.withLock { $0 }
    }

    func stop() { listener.cancel() }
}
