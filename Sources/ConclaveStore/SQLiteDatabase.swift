import Foundation
import Logging
import SQLKit
import Synchronization

/// The embedded backend: one SQLite file in WAL mode, one writer connection that groups
/// concurrent write transactions into a single commit, and a few reader connections, each
/// connection on a thread of its own (`SQLiteThread`).
public final class SQLiteDatabase: Database {
    public let kind = DatabaseKind.sqlite
    public let path: String
    let writer: SQLiteWriter
    let readers: [SQLiteReader]
    let readerCursor = ReaderCursor()
    let shutdownStarted = Atomic<Bool>(false)

    public static func open(path: String, readerCount: Int = 4, logger: Logger) async throws -> SQLiteDatabase {
        try Self.createPrivateFile(at: path)
        let writerConnection = try SQLiteDirectConnection(path: path)
        var readers: [SQLiteReader] = []
        do {
            // busy_timeout first so that the journal_mode change waits for other connections.
            for pragma in connectionPragmas + ["PRAGMA journal_mode = WAL"] {
                _ = try writerConnection.execute(pragma)
            }
            for _ in 0..<max(1, readerCount) {
                let reader = try SQLiteReader(path: path, logger: logger)
                readers.append(reader)
                for pragma in connectionPragmas { _ = try reader.connection.execute(pragma) }
            }
            return SQLiteDatabase(path: path, writer: SQLiteWriter(connection: writerConnection, logger: logger), readers: readers)
        } catch {
            writerConnection.close()
            for reader in readers { await reader.close() }
            throw error
        }
    }

    static let connectionPragmas = [
        "PRAGMA busy_timeout = 10000",
        "PRAGMA foreign_keys = ON",
        "PRAGMA secure_delete = ON",
        "PRAGMA synchronous = FULL",
    ]

    init(path: String, writer: SQLiteWriter, readers: [SQLiteReader]) {
        self.path = path
        self.writer = writer
        self.readers = readers
    }

    /// SQLite creates files with the process umask; create the database ourselves with 0600 first so
    /// it is never readable by others, even for an instant.
    static func createPrivateFile(at path: String) throws {
        let fd = Foundation.open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
        fchmod(fd, 0o600)
        close(fd)
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (DatabaseSession) async throws -> T) async throws -> T {
        let reader = readers[readerCursor.next(count: readers.count)]
        do {
            return try await reader.read(body)
        } catch {
            throw StoreErrorMapping.map(error)
        }
    }

    @discardableResult
    public func write<T: Sendable>(_ body: @escaping @Sendable (DatabaseSession) async throws -> T) async throws -> T {
        try await writer.submit(body)
    }

    public func ping() async -> Bool {
        do {
            return try await read { db in try await db.raw("SELECT 1 AS one").first() != nil }
        } catch {
            return false
        }
    }

    /// Folds the WAL into the database file and truncates it, so an erased row's old page images
    /// do not linger in `-wal` (with secure_delete the database file itself keeps no copy).
    public func flushErasures() async {
        _ = try? await readers[0].read { db in try await db.raw("PRAGMA wal_checkpoint(TRUNCATE)").run() }
    }

    /// The file is opened already.
    public func waitUntilReachable() async throws {}

    /// One process owns the file: there is no other server.
    public var notifications: (any DatabaseNotifications)? { nil }

    public func run() async throws {
        try await gracefulShutdownFriendlySleep()
    }

    public func shutdown() async {
        guard shutdownStarted.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        await writer.close()
        for reader in readers {
            await reader.close()
        }
    }
}

/// Round-robin over the reader connections without a lock on the hot path.
final class ReaderCursor: Sendable {
    private let counter = AtomicCounter()

    func next(count: Int) -> Int {
        Int(counter.increment() % UInt64(count))
    }
}

/// Sleeps until the surrounding task is cancelled.
func gracefulShutdownFriendlySleep() async throws {
    while !Task.isCancelled {
        try? await Task.sleep(for: .seconds(3600))
    }
}
