@testable import ConclaveServer
import ConclaveSecurity
import ConclaveStore
import Foundation
import Logging
import Prometheus

/// Real dependencies over a real SQLite file in a temporary data directory.
enum ServerFixture {
    static func with<T: Sendable>(
        env extra: [String: String] = [:],
        _ body: @escaping @Sendable (ServerDependencies) async throws -> T
    ) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("conclave-server-test-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var env = ["CONCLAVE_DATA_DIR": directory]
        env.merge(extra) { _, new in new }
        let configuration = try ConclaveConfiguration.fromEnvironment(env)
        try PrivateFile.ensureDirectory(directory)
        let secrets = try ServerSecrets.load(configuration: configuration)
        let logger = { () -> Logger in
            var logger = Logger(label: "test")
            logger.logLevel = .warning
            return logger
        }()
        return try await DatabaseFactory.with(configuration.databaseLocation, logger: logger) { database in
            try await Migrator(database: database).migrate()
            let dependencies = try await ServerDependencies(
                configuration: configuration,
                database: database,
                secrets: secrets,
                metricsRegistry: PrometheusCollectorRegistry(),
                logger: logger,
                passwordHasher: PasswordHasher(parameters: .init(memoryKiB: 1024, iterations: 1, parallelism: 1))
            )
            return try await body(dependencies)
        }
    }
}
