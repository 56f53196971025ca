import ConclaveStore
import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus

extension ConclaveCommands {
    /// In production a database that does not answer is fatal (as in `doctor`); the wait covers a
    /// database that is still starting. Elsewhere the server waits for it indefinitely.
    static let productionDatabaseWait: Duration = .seconds(10)

    /// `conclave serve`: runs the server until SIGTERM or SIGINT, which stop accepting, finish the
    /// requests in flight and return.
    public static func serve() async throws(CommandExit) {
        let configuration = try CommandEnvironment.configuration()
        CommandEnvironment.restrictFileModes()
        let logger = CommandEnvironment.logger(configuration)

        if configuration.environment == .production {
            let fatal = Doctor(configuration: configuration).staticFindings().filter { $0.severity == .fatal }
            if !fatal.isEmpty {
                for finding in fatal { Console.error("conclave: refusing to start in production: \(finding)") }
                throw CommandExit(1)
            }
        }
        try CommandEnvironment.prepareDataDirectory(configuration)
        // Every connection holds a descriptor; the connection caps are derived from this limit.
        DescriptorLimit.raiseSoftToHard()

        var certificates: TLSCertificateStore?
        if let certificate = configuration.tlsCertificatePath, let key = configuration.tlsKeyPath {
            do {
                certificates = try TLSCertificateStore(certificatePath: certificate, keyPath: key, clientCAPath: configuration.tlsClientCAPath)
            } catch {
                Console.error("conclave: \(error.description)")
                throw CommandExit(2)
            }
        }

        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))

        let secrets: ServerSecrets
        do {
            secrets = try ServerSecrets.load(configuration: configuration)
        } catch {
            Console.error("conclave: cannot read or create the secrets in \(configuration.dataDirectory)")
            throw CommandExit(1)
        }
        let database: any Database
        do {
            database = try await DatabaseFactory.open(configuration.databaseLocation, logger: logger)
        } catch {
            Console.error("conclave: cannot open the database \(configuration.databaseLocation.redacted)")
            throw CommandExit(1)
        }
        if configuration.environment == .production, await !answers(database, within: productionDatabaseWait) {
            let finding = Doctor(configuration: configuration).databaseFinding(reachable: false)
            Console.error("conclave: refusing to start in production: \(finding)")
            await database.shutdown()
            throw CommandExit(1)
        }
        // Uploads cut off by a stop or crash: never renamed into place, never recorded.
        LocalFileStore(dataDirectory: configuration.dataDirectory).removeAbandonedUploads()
        do {
            let app = try await buildApplication(
                configuration: configuration, database: database, secrets: secrets, metricsRegistry: registry, logger: logger,
                certificates: certificates
            )
            try await app.runService()
            await database.shutdown()
        } catch {
            await database.shutdown()
            logger.critical("server stopped with an error", metadata: ["error_type": .string(String(reflecting: type(of: error)))])
            Console.error("conclave: the server stopped with an error (\(type(of: error))); see the log")
            throw CommandExit(1)
        }
    }

    static func answers(_ database: any Database, within limit: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { (try? await database.waitUntilReachable()) != nil }
            group.addTask {
                try? await Task.sleep(for: limit)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }
}
