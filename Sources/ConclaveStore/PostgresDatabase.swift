import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresKit
import PostgresNIO
import SQLKit

/// The production backend: PostgresNIO's `PostgresClient` pool, one transaction per `write`.
public final class PostgresDatabase: Database {
    public let kind = DatabaseKind.postgres
    let client: PostgresClient
    let logger: Logger
    /// The same endpoint for single connections outside the pool: the reachability probe (whose
    /// errors the pool does not surface) and the LISTEN connections (which must be closed at will).
    let connectionConfiguration: PostgresConnection.Configuration

    public init(settings: DatabaseLocation.PostgresSettings, logger: Logger, maxConnections: Int = 20) throws {
        var connectionConfiguration = PostgresConnection.Configuration(
            host: settings.host, port: settings.port, username: settings.username, password: settings.password,
            database: settings.database, tls: try PostgresTLS.connectionTLS(for: settings)
        )
        connectionConfiguration.options.connectTimeout = .seconds(5)
        self.connectionConfiguration = connectionConfiguration
        var configuration = PostgresClient.Configuration(
            host: settings.host,
            port: settings.port,
            username: settings.username,
            password: settings.password,
            database: settings.database,
            tls: PostgresTLS.poolTLS(for: settings)
        )
        configuration.options.maximumConnections = maxConnections
        configuration.options.minimumConnections = 0
        configuration.options.connectTimeout = .seconds(5)
        var backgroundLogger = logger
        backgroundLogger.logLevel = max(logger.logLevel, .notice)
        self.client = PostgresClient(configuration: configuration, backgroundLogger: backgroundLogger)
        self.logger = logger
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (DatabaseSession) async throws -> T) async throws -> T {
        do {
            return try await client.withConnection { connection in
                try await body(DatabaseSession(connection.sql(queryLogLevel: nil, logger: self.logger)))
            }
        } catch {
            throw StoreErrorMapping.map(error)
        }
    }

    /// Attempts at a write transaction that PostgreSQL aborted to break a deadlock (40P01) or a
    /// serialization conflict (40001), before giving up with `StoreError.busy`.
    static let writeAttempts = 4

    /// Runs `body` in a transaction. A transaction that PostgreSQL aborted as a deadlock victim
    /// or for a serialization conflict is run again, whole, after a short random pause (its
    /// rival has usually committed by then): so `body` must have no effect outside the
    /// transaction. Still failing after `writeAttempts`, the write ends with `StoreError.busy`,
    /// which clients get as a retryable 503.
    @discardableResult
    public func write<T: Sendable>(_ body: @escaping @Sendable (DatabaseSession) async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await client.withTransaction(logger: logger) { connection in
                    try await body(DatabaseSession(connection.sql(queryLogLevel: nil, logger: self.logger)))
                }
            } catch {
                guard let state = Self.retryableSQLState(of: error) else {
                    throw StoreErrorMapping.map(Self.unwrapTransactionError(error))
                }
                guard attempt < Self.writeAttempts else {
                    logger.warning("write transaction aborted on every attempt", metadata: ["sqlstate": .string(state), "attempts": .stringConvertible(attempt)])
                    throw StoreError.busy
                }
                logger.notice("write transaction aborted; running it again", metadata: ["sqlstate": .string(state), "attempt": .stringConvertible(attempt)])
                try await Task.sleep(for: Self.retryPause(after: attempt))
                attempt += 1
            }
        }
    }

    /// 10–20 ms after the first attempt, then 20–40, 40–80: random, so that the transactions that
    /// collided do not meet again in step.
    static func retryPause(after attempt: Int) -> Duration {
        let base = 10 << (attempt - 1)
        return .milliseconds(Int.random(in: base...(2 * base)))
    }

    /// 40P01 (deadlock detected) or 40001 (serialization failure), raised by a statement of the
    /// transaction or by its COMMIT; nil for anything else.
    static func retryableSQLState(of error: any Error) -> String? {
        var candidates: [any Error] = [error]
        if let transactionError = error as? PostgresTransactionError {
            candidates += [transactionError.closureError, transactionError.commitError].compactMap { $0 }
        }
        for candidate in candidates {
            if let state = (candidate as? PSQLError)?.serverInfo?[.sqlState], state == "40P01" || state == "40001" { return state }
        }
        return nil
    }

    /// PostgresNIO wraps a failed body in a transaction error; callers care about the body's error.
    static func unwrapTransactionError(_ error: any Error) -> any Error {
        if let transactionError = error as? PostgresTransactionError, let closureError = transactionError.closureError {
            return closureError
        }
        return error
    }

    public func ping() async -> Bool {
        await TimeLimit.run(.seconds(3)) {
            (try? await self.read { db in try await db.raw("SELECT 1 AS one").first() != nil }) ?? false
        } ?? false
    }

    public func run() async throws {
        await client.run()
    }

    /// One connection outside the pool, with the pool's endpoint and TLS.
    func connect() async throws -> PostgresConnection {
        try await PostgresConnection.connect(configuration: connectionConfiguration, id: 0, logger: logger)
    }

    /// Returns once one connection succeeds. Until then every failed attempt is logged (the pool
    /// retries silently), with the kind of failure and never the connection string, backing off
    /// up to 10 s between attempts. Cancellation (a shutdown) ends the wait.
    public func waitUntilReachable() async throws {
        var delay: Duration = .milliseconds(250)
        var attempt = 0
        while true {
            attempt += 1
            do {
                let connection = try await connect()
                try? await connection.close()
                if attempt > 1 { logger.notice("database reachable", metadata: ["attempts": .stringConvertible(attempt)]) }
                return
            } catch {
                logger.warning(
                    "database not reachable; retrying",
                    metadata: ["reason": .string(Self.failureKind(error)), "attempt": .stringConvertible(attempt)]
                )
            }
            try await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(10))
        }
    }

    /// A description of a connection failure that names its kind and no secret.
    static func failureKind(_ error: any Error) -> String {
        let underlying = (error as? PSQLError)?.underlying ?? error
        let type = String(reflecting: Swift.type(of: underlying))
        if underlying is NIOSSLError || type.contains("SSL") || type.contains("BoringSSL") {
            return "TLS handshake failed (\(type)): the server certificate was refused or TLS is not offered"
        }
        if let psql = error as? PSQLError {
            switch psql.code {
            case .sslUnsupported: return "TLS required by sslmode but not offered by the server"
            case .server: return "the server refused the connection (\(psql.serverInfo?[.sqlState] ?? "no SQLSTATE"))"
            case .connectionError: return "connection failed (\(type))"
            default: return "connection failed (\(psql.code))"
            }
        }
        return "connection failed (\(type))"
    }

    /// Deleted rows leave no copy the server keeps outside PostgreSQL's own storage.
    public func flushErasures() async {}

    public var notifications: (any DatabaseNotifications)? { self }

    public func shutdown() async {}
}

extension PostgresDatabase {
    /// Runs a statement outside a transaction. For operator tooling and tests (CREATE DATABASE);
    /// never called with client input.
    public func execute(unsafeSQL sql: String) async throws {
        try await client.withConnection { connection in
            _ = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: self.logger)
        }
    }
}
