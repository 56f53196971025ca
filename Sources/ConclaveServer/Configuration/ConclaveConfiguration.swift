import ConclaveCore
import ConclaveStore
import Foundation
import Logging

/// Everything the server is configured with, read from the environment as the contract lists.
public struct ConclaveConfiguration: Sendable {
    public enum Environment: String, Sendable { case development, production, test }
    public enum UserVerification: String, Sendable { case preferred, required }

    public var host: String
    public var port: Int
    public var dataDirectory: String
    public var databaseLocation: DatabaseLocation
    /// Whether CONCLAVE_DATABASE_URL was given (otherwise the SQLite file in the data dir).
    public var databaseFromEnvironment: Bool
    public var environment: Environment
    public var jwtSecret: String?
    public var masterKey: String?
    /// Earlier signing secrets whose tokens stay valid until they expire (key rotation).
    public var previousJWTSecrets: [String]
    public var corsOrigins: [String]
    public var trustedProxies: [CIDRBlock]
    public var disableBootstrap: Bool
    public var rateLimits: RateLimitPolicy
    public var tlsCertificatePath: String?
    public var tlsKeyPath: String?
    /// PEM CA bundle; when set, every TLS client must present a certificate it signed (mutual TLS).
    public var tlsClientCAPath: String?
    /// Serves the test-only WebSocket echo route (conformance suites); never in production.
    public var testWebSocketEcho: Bool
    public var publicURL: String
    public var metricsToken: String?
    public var webauthnUserVerification: UserVerification
    public var webhookAllowPrivate: Bool
    public var logLevel: Logger.Level
    public var maxMessageLength: Int
    /// Concurrent WebSockets per human session and per agent; the next one is closed with 4429.
    public var socketsPerSession: Int
    public var socketsPerAgent: Int
    /// How long the event log keeps events for resuming streams.
    public var eventRetentionHours: Int
    /// Agents one member may create in a workspace, and agents a workspace may hold: creating
    /// agents must not multiply a member's limits without bound.
    public var maxAgentsPerCreator: Int
    public var maxAgentsPerWorkspace: Int
    /// Open connections in total; nil derives the cap from the descriptor limit at start
    /// (`ConnectionCaps`).
    public var maxConnections: Int?
    /// Open connections per client IP (the socket peer; an IPv6 peer by its /64). Peers in
    /// CONCLAVE_TRUSTED_PROXIES count against the total only: many clients share a proxy.
    public var maxConnectionsPerIP: Int

    public var tlsEnabled: Bool { tlsCertificatePath != nil }
    public var corsAllowsAny: Bool { corsOrigins.contains("*") }

    /// Reads the configuration; the first invalid variable throws a `ConfigurationError`.
    public static func fromEnvironment(
        _ env: [String: String] = ProcessInfo.processInfo.environment,
        workingDirectory: String = FileManager.default.currentDirectoryPath
    ) throws(ConfigurationError) -> ConclaveConfiguration {
        let reader = EnvironmentReader(env: env)
        let host = try reader.string("CONCLAVE_HOST", default: "127.0.0.1")
        guard !host.isEmpty, !host.contains(" ") else { throw ConfigurationError(variable: "CONCLAVE_HOST", reason: "not a host name or address") }
        let port = try reader.integer("CONCLAVE_PORT", default: 8750, range: 0...65535, what: "a port number (0-65535)")
        var dataDirectory = try reader.string("CONCLAVE_DATA_DIR", default: "./conclave-data")
        if !dataDirectory.hasPrefix("/") {
            dataDirectory = URL(fileURLWithPath: workingDirectory).appendingPathComponent(dataDirectory).standardizedFileURL.path
        }
        let databaseLocation: DatabaseLocation
        let databaseFromEnvironment: Bool
        if let url = reader.optional("CONCLAVE_DATABASE_URL") {
            do {
                databaseLocation = try DatabaseLocation.parse(url)
            } catch {
                throw ConfigurationError(variable: "CONCLAVE_DATABASE_URL", reason: error.description)
            }
            databaseFromEnvironment = true
        } else {
            databaseLocation = .sqlite(path: dataDirectory + "/conclave.db")
            databaseFromEnvironment = false
        }
        let environmentName = try reader.string("CONCLAVE_ENV", default: "development")
        guard let environment = Environment(rawValue: environmentName) else {
            throw ConfigurationError(variable: "CONCLAVE_ENV", reason: "must be development, production or test")
        }
        let jwtSecret = reader.optional("CONCLAVE_JWT_SECRET")
        let masterKey = reader.optional("CONCLAVE_MASTER_KEY")
        let previousJWTSecrets = try reader.list("CONCLAVE_JWT_PREVIOUS_SECRETS")
        for (name, value) in [("CONCLAVE_JWT_SECRET", jwtSecret), ("CONCLAVE_MASTER_KEY", masterKey)] {
            if let value, value.utf8.count < 32, environment == .production {
                throw ConfigurationError(variable: name, reason: "must be at least 32 bytes in production")
            }
        }
        let corsOrigins = try reader.list("CONCLAVE_CORS_ORIGINS").map { origin throws(ConfigurationError) -> String in
            guard origin == "*" || Self.isOrigin(origin) else {
                throw ConfigurationError(variable: "CONCLAVE_CORS_ORIGINS", reason: "'\(origin)' is not an origin like https://app.example.com")
            }
            return origin
        }
        let trustedProxies = try reader.list("CONCLAVE_TRUSTED_PROXIES").map { text throws(ConfigurationError) -> CIDRBlock in
            guard let block = CIDRBlock(text) else {
                throw ConfigurationError(variable: "CONCLAVE_TRUSTED_PROXIES", reason: "'\(text)' is not a CIDR block like 10.0.0.0/8")
            }
            return block
        }
        // Bootstrap is a sign-up path (whoever reaches it gets a workspace whose invite makes them
        // its owner), so production leaves it off unless CONCLAVE_DISABLE_BOOTSTRAP=false opts in.
        let disableBootstrap = try reader.boolean("CONCLAVE_DISABLE_BOOTSTRAP", default: environment == .production)
        let bootstrapLimit = try reader.integer(
            "CONCLAVE_BOOTSTRAP_RATE_LIMIT", default: 5, range: 1...100_000, what: "a number of calls per hour"
        )
        var rateLimits = RateLimitPolicy.defaults
        rateLimits.set(RateLimitRule(name: "bootstrap", limit: bootstrapLimit, periodSeconds: 3600))
        if let spec = reader.optional("CONCLAVE_RATE_LIMITS") {
            do {
                rateLimits = try rateLimits.overridden(by: spec)
            } catch {
                throw ConfigurationError(variable: "CONCLAVE_RATE_LIMITS", reason: error.description)
            }
        }
        let tlsCertificatePath = reader.optional("CONCLAVE_TLS_CERT")
        let tlsKeyPath = reader.optional("CONCLAVE_TLS_KEY")
        if (tlsCertificatePath == nil) != (tlsKeyPath == nil) {
            throw ConfigurationError(
                variable: tlsCertificatePath == nil ? "CONCLAVE_TLS_CERT" : "CONCLAVE_TLS_KEY",
                reason: "CONCLAVE_TLS_CERT and CONCLAVE_TLS_KEY must be set together"
            )
        }
        let tlsClientCAPath = reader.optional("CONCLAVE_TLS_CLIENT_CA")
        if tlsClientCAPath != nil, tlsCertificatePath == nil {
            throw ConfigurationError(variable: "CONCLAVE_TLS_CLIENT_CA", reason: "needs CONCLAVE_TLS_CERT and CONCLAVE_TLS_KEY (mutual TLS is TLS)")
        }
        let testWebSocketEcho = try reader.boolean("CONCLAVE_TEST_WS_ECHO", default: false)
        let scheme = tlsCertificatePath == nil ? "http" : "https"
        let publicURL = try reader.string("CONCLAVE_PUBLIC_URL", default: "\(scheme)://localhost:\(port == 0 ? 8750 : port)")
        guard let components = URLComponents(string: publicURL), ["http", "https"].contains(components.scheme ?? ""),
            components.host?.isEmpty == false
        else {
            throw ConfigurationError(variable: "CONCLAVE_PUBLIC_URL", reason: "must be an http(s) URL such as https://chat.example.com")
        }
        // A short token is a `doctor` warning, not a reason to refuse to start: the contract sets no minimum.
        let metricsToken = reader.optional("CONCLAVE_METRICS_TOKEN")
        let userVerificationName = try reader.string("CONCLAVE_WEBAUTHN_USER_VERIFICATION", default: "preferred")
        guard let userVerification = UserVerification(rawValue: userVerificationName) else {
            throw ConfigurationError(variable: "CONCLAVE_WEBAUTHN_USER_VERIFICATION", reason: "must be preferred or required")
        }
        let webhookAllowPrivate = try reader.boolean("CONCLAVE_WEBHOOK_ALLOW_PRIVATE", default: false)
        let logLevelName = try reader.string("CONCLAVE_LOG_LEVEL", default: "info")
        guard let logLevel = Logger.Level(rawValue: logLevelName) else {
            throw ConfigurationError(variable: "CONCLAVE_LOG_LEVEL", reason: "must be trace, debug, info, notice, warning, error or critical")
        }
        let maxMessageLength = try reader.integer(
            "CONCLAVE_MAX_MESSAGE_LENGTH", default: 40_000, range: 1...200_000, what: "a number of characters"
        )
        let socketsPerSession = try reader.integer(
            "CONCLAVE_WS_SOCKETS_PER_SESSION", default: 5, range: 1...1000, what: "a number of sockets (1-1000)"
        )
        let socketsPerAgent = try reader.integer(
            "CONCLAVE_WS_SOCKETS_PER_AGENT", default: 20, range: 1...10_000, what: "a number of sockets (1-10000)"
        )
        let eventRetentionHours = try reader.integer(
            "CONCLAVE_EVENT_RETENTION_HOURS", default: 168, range: 1...87_600, what: "a number of hours (1-87600)"
        )
        let maxAgentsPerCreator = try reader.integer(
            "CONCLAVE_MAX_AGENTS_PER_MEMBER", default: 25, range: 1...10_000, what: "a number of agents (1-10000)"
        )
        let maxAgentsPerWorkspace = try reader.integer(
            "CONCLAVE_MAX_AGENTS_PER_WORKSPACE", default: 500, range: 1...100_000, what: "a number of agents (1-100000)"
        )
        let maxConnections = try reader.optionalInteger(
            "CONCLAVE_MAX_CONNECTIONS", range: 16...10_000_000, what: "a number of connections (16-10000000)"
        )
        let maxConnectionsPerIP = try reader.integer(
            "CONCLAVE_MAX_CONNECTIONS_PER_IP", default: 256, range: 1...10_000_000, what: "a number of connections (1-10000000)"
        )
        return ConclaveConfiguration(
            host: host,
            port: port,
            dataDirectory: dataDirectory,
            databaseLocation: databaseLocation,
            databaseFromEnvironment: databaseFromEnvironment,
            environment: environment,
            jwtSecret: jwtSecret,
            masterKey: masterKey,
            previousJWTSecrets: previousJWTSecrets,
            corsOrigins: corsOrigins,
            trustedProxies: trustedProxies,
            disableBootstrap: disableBootstrap,
            rateLimits: rateLimits,
            tlsCertificatePath: tlsCertificatePath,
            tlsKeyPath: tlsKeyPath,
            tlsClientCAPath: tlsClientCAPath,
            testWebSocketEcho: testWebSocketEcho,
            publicURL: publicURL,
            metricsToken: metricsToken,
            webauthnUserVerification: userVerification,
            webhookAllowPrivate: webhookAllowPrivate,
            logLevel: logLevel,
            maxMessageLength: maxMessageLength,
            socketsPerSession: socketsPerSession,
            socketsPerAgent: socketsPerAgent,
            eventRetentionHours: eventRetentionHours,
            maxAgentsPerCreator: maxAgentsPerCreator,
            maxAgentsPerWorkspace: maxAgentsPerWorkspace,
            maxConnections: maxConnections,
            maxConnectionsPerIP: maxConnectionsPerIP
        )
    }

    static func isOrigin(_ text: String) -> Bool {
        guard let components = URLComponents(string: text), let scheme = components.scheme,
            ["http", "https"].contains(scheme), components.host?.isEmpty == false
        else { return false }
        return components.path.isEmpty && components.query == nil && components.fragment == nil
    }
}

/// Reads typed values from an environment dictionary; empty strings count as unset.
struct EnvironmentReader {
    let env: [String: String]

    func optional(_ name: String) -> String? {
        guard let value = env[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }

    func string(_ name: String, default defaultValue: String) throws(ConfigurationError) -> String {
        optional(name) ?? defaultValue
    }

    func integer(_ name: String, default defaultValue: Int, range: ClosedRange<Int>, what: String) throws(ConfigurationError) -> Int {
        guard let text = optional(name) else { return defaultValue }
        guard let value = Int(text), range.contains(value) else {
            throw ConfigurationError(variable: name, reason: "'\(text.prefix(40))' is not \(what)")
        }
        return value
    }

    func optionalInteger(_ name: String, range: ClosedRange<Int>, what: String) throws(ConfigurationError) -> Int? {
        guard optional(name) != nil else { return nil }
        return try integer(name, default: range.lowerBound, range: range, what: what)
    }

    func boolean(_ name: String, default defaultValue: Bool) throws(ConfigurationError) -> Bool {
        guard let text = optional(name)?.lowercased() else { return defaultValue }
        switch text {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw ConfigurationError(variable: name, reason: "must be true or false")
        }
    }

    func list(_ name: String) throws(ConfigurationError) -> [String] {
        guard let text = optional(name) else { return [] }
        return text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
