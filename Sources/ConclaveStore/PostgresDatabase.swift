import Logging
import NIOCore
import NIOSSL
import PostgresKit
import PostgresNIO
import SQLKit

/// The production backend: PostgresNIO's `PostgresClient` pool, one transaction per `write`.
public final class PostgresDatabase: Database {
    public let kind = DatabaseKind.postgres
    let client: PostgresClient
    let logger: Logger

    public init(settings: DatabaseLocation.PostgresSettings, logger: Logger, maxConnections: Int = 20) throws {
        let tls: PostgresClient.Configuration.TLS
        switch settings.tls {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(try .makeClientConfiguration())
        case .require: tls = .require(try .makeClientConfiguration())
        }
        var configuration = PostgresClient.Configuration(
            host: settings.host,
            port: settings.port,
            username: settings.username,
            password: settings.password,
            database: settings.database,
            tls: tls
        )
        configuration.options.maximumConnections = maxConnections
        configuration.options.minimumConnections = 0
        configuration.options.connectTimeout = .seconds(5)
        var backgroundLogger = logger
        backgroundLogger.logLevel = max(logger.logLevel, .notice)
        self.client = PostgresClient(configuration: configuration, backgroundLogger: backgroundLogger)
        self.logger = logger
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        do {
            return try await client.withConnection { connection in
                try await body(connection.sql(queryLogLevel: nil, logger: self.logger))
            }
        } catch {
            throw StoreErrorMapping.map(error)
        }
    }

    @discardableResult
    public func write<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        do {
            return try await client.withTransaction(logger: logger) { connection in
                try await body(connection.sql(queryLogLevel: nil, logger: self.logger))
            }
        } catch {
            throw StoreErrorMapping.map(Self.unwrapTransactionError(error))
        }
    }

    /// PostgresNIO wraps a failed body in a transaction error; callers care about the body's error.
    static func unwrapTransactionError(_ error: any Error) -> any Error {
        if let transactionError = error as? PostgresTransactionError, let closureError = transactionError.closureError {
            return closureError
        }
        return error
    }

    public func ping() async -> Bool {
        do {
            return try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    try await self.read { db in try await db.raw("SELECT 1 AS one").first() != nil }
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(3))
                    return false
                }
                let first = try await group.next() ?? false
                group.cancelAll()
                return first
            }
        } catch {
            return false
        }
    }

    public func run() async throws {
        await client.run()
    }

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

extension PostgresDatabase {
    /// Holds one pooled connection listening on `channel` and hands each payload to `receive`,
    /// until cancelled. Reconnects after a failure.
    public func listen(
        channel: String,
        onListening: @escaping @Sendable () -> Void = {},
        onLost: @escaping @Sendable () -> Void = {},
        _ receive: @escaping @Sendable (String) -> Void
    ) async {
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: channel) { notifications in
                        onListening()
                        for try await notification in notifications {
                            receive(notification.payload)
                        }
                    }
                }
            } catch {
                onLost()
                if Task.isCancelled { return }
                logger.warning("LISTEN connection lost; reconnecting", metadata: ["channel": .string(channel)])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// `pg_notify` outside any transaction; best effort (listeners also poll).
    public func notify(channel: String, payload: String) async {
        _ = try? await read { db in try await db.raw("SELECT pg_notify(\(bind: channel), \(bind: payload))").run() }
    }
}
