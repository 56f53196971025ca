import Foundation
import Logging
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit
import SQLiteNIO
import Synchronization

/// The embedded backend: one SQLite file in WAL mode, one writer connection that groups
/// concurrent write transactions into a single commit, and a few reader connections.
public final class SQLiteDatabase: Database {
    public let kind = DatabaseKind.sqlite
    public let path: String
    let writer: SQLiteWriter
    let readers: [SQLiteConnection]
    let readerCursor = ReaderCursor()
    let shutdownStarted = Atomic<Bool>(false)

    public static func open(path: String, readerCount: Int = 4, logger: Logger) async throws -> SQLiteDatabase {
        try Self.createPrivateFile(at: path)
        let threadPool = NIOThreadPool.singleton
        let writerConnection = try await SQLiteConnection.open(
            storage: .file(path: path),
            threadPool: threadPool,
            logger: logger,
            on: MultiThreadedEventLoopGroup.singleton.any()
        )
        do {
            try await configure(writerConnection, writer: true)
            var readers: [SQLiteConnection] = []
            for _ in 0..<max(1, readerCount) {
                let reader = try await SQLiteConnection.open(
                    storage: .file(path: path),
                    threadPool: threadPool,
                    logger: logger,
                    on: MultiThreadedEventLoopGroup.singleton.any()
                )
                readers.append(reader)
                try await configure(reader, writer: false)
            }
            return SQLiteDatabase(path: path, writer: SQLiteWriter(connection: writerConnection, logger: logger), readers: readers)
        } catch {
            try? await writerConnection.close()
            throw error
        }
    }

    init(path: String, writer: SQLiteWriter, readers: [SQLiteConnection]) {
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

    static func configure(_ connection: SQLiteConnection, writer: Bool) async throws {
        // busy_timeout first so that the journal_mode change waits for other connections.
        for pragma in [
            "PRAGMA busy_timeout = 10000",
            "PRAGMA foreign_keys = ON",
            "PRAGMA secure_delete = ON",
            "PRAGMA synchronous = FULL",
        ] {
            _ = try await connection.query(pragma)
        }
        if writer {
            _ = try await connection.query("PRAGMA journal_mode = WAL")
        }
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let reader = readers[readerCursor.next(count: readers.count)]
        do {
            return try await body(reader.sql())
        } catch {
            throw StoreErrorMapping.map(error)
        }
    }

    @discardableResult
    public func write<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
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
    public func checkpoint() async {
        _ = try? await readers[0].query("PRAGMA wal_checkpoint(TRUNCATE)")
    }

    public func run() async throws {
        try await gracefulShutdownFriendlySleep()
    }

    public func shutdown() async {
        guard shutdownStarted.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        await writer.close()
        for reader in readers {
            try? await reader.close()
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
