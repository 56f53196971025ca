import ConclaveStore
import Foundation
import Logging

/// Shared start-up for every subcommand: configuration (bad values exit 2 with one line each naming
/// the variable), private file modes, JSON logging.
enum CommandEnvironment {
    static func configuration() throws(CommandExit) -> ConclaveConfiguration {
        do {
            return try ConclaveConfiguration.fromEnvironment()
        } catch {
            for finding in error.findings { Console.error("conclave: invalid configuration: \(finding)") }
            throw CommandExit(2)
        }
    }

    /// Files the server creates (database, WAL, secrets) are private to its user.
    static func restrictFileModes() {
        umask(0o077)
    }

    static func logger(_ configuration: ConclaveConfiguration) -> Logger {
        LoggingSystem.bootstrap { label in JSONLogHandler(label: label, logLevel: configuration.logLevel) }
        var logger = Logger(label: "conclave")
        logger.logLevel = configuration.logLevel
        return logger
    }

    /// A logger for commands whose stdout is for people: only warnings and worse, on stderr's level.
    static func quietLogger() -> Logger {
        var logger = Logger(label: "conclave") { label in JSONLogHandler(label: label, logLevel: .error) }
        logger.logLevel = .error
        return logger
    }

    static func prepareDataDirectory(_ configuration: ConclaveConfiguration) throws(CommandExit) {
        do {
            try PrivateFile.ensureDirectory(configuration.dataDirectory)
        } catch {
            Console.error("conclave: cannot create the data directory \(configuration.dataDirectory)")
            throw CommandExit(1)
        }
    }
}
