import SQLKit

public enum DatabaseKind: String, Sendable {
    case sqlite
    case postgres
}

/// The one storage interface both backends implement.
///
/// `write` runs its body in a transaction: everything it does commits together or not at all, and
/// the call returns only after the commit is durable. `read` sees only committed data.
public protocol Database: Sendable {
    var kind: DatabaseKind { get }
    func read<T: Sendable>(_ body: @escaping @Sendable (DatabaseSession) async throws -> T) async throws -> T
    @discardableResult
    func write<T: Sendable>(_ body: @escaping @Sendable (DatabaseSession) async throws -> T) async throws -> T
    /// Whether the database answers a trivial query now.
    func ping() async -> Bool
    /// Runs until cancelled; backends with background work (a connection pool) need it running.
    func run() async throws
    func shutdown() async
    /// Returns once the database accepts a connection, logging each failed attempt and backing
    /// off between them; cancellation ends the wait. At once for a local file.
    func waitUntilReachable() async throws
    /// After a committed write that erased content (a message deleted or edited): leaves no copy
    /// of the old bytes in the database's side files (SQLite's WAL). Nothing to do on PostgreSQL.
    func flushErasures() async
    /// How servers sharing this database hear about each other's changes; nil when one process
    /// owns it (SQLite), so there is no other server to tell or hear.
    var notifications: (any DatabaseNotifications)? { get }
}

/// An error from storage that the caller can act on; everything else is internal.
public enum StoreError: Error, Equatable, Sendable {
    /// A unique constraint refused the write (duplicate email, channel name...).
    case conflict
    case notFound
    /// PostgreSQL aborted the write transaction on every attempt (a deadlock victim, a
    /// serialization conflict): nothing was written, and the same request may succeed shortly.
    case busy
}
