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
    /// CONCLAVE_PUBLIC_URL as given; nil means the listening address (`publicURL`).
    public var configuredPublicURL: String?
    /// The port the server actually listens on, once bound (CONCLAVE_PORT=0 picks one).
    public let boundPort = BoundPort()
    public var metricsToken: String?
    public var webauthnUserVerification: UserVerification
    public var webhookAllowPrivate: Bool
    /// The first retry delay of a webhook delivery (doubling per attempt, with jitter).
    public var webhookRetryBaseMS: Int = 5000
    public var logLevel: Logger.Level
    public var maxMessageLength: Int
    /// Concurrent WebSockets per human session and per agent; the next one is closed with 4429.
    public var socketsPerSession: Int
    public var socketsPerAgent: Int
    /// How long the event log keeps events for resuming streams.
    public var eventRetentionHours: Int
    /// A streamed reply not finished within this many seconds is finalized by the server.
    public var streamTimeoutSeconds: Int
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
    /// The largest file an upload may carry (CONCLAVE_MAX_FILE_BYTES, default 25 MiB).
    public var maxFileBytes: Int = 25 * 1024 * 1024

    public var tlsEnabled: Bool { tlsCertificatePath != nil }

    /// The URL people reach the server at (invite links, token issuer, WebAuthn origin): the
    /// configured one, else this host's listening address, with the real port once it is bound.
    public var publicURL: String {
        if let configuredPublicURL { return configuredPublicURL }
        let listening = boundPort.value ?? (port == 0 ? 8750 : port)
        return "\(tlsEnabled ? "https" : "http")://localhost:\(listening)"
    }
    public var corsAllowsAny: Bool { corsOrigins.contains("*") }

    /// Reads the configuration. Every variable is read, and every one that is not usable is
    /// reported at once (a `ConfigurationError` listing them), not only the first.
    public static func fromEnvironment(
        _ env: [String: String] = ProcessInfo.processInfo.environment,
        workingDirectory: String = FileManager.default.currentDirectoryPath
    ) throws(ConfigurationError) -> ConclaveConfiguration {
        let reader = EnvironmentReader(env: env)
        var host = reader.string("CONCLAVE_HOST", default: "127.0.0.1")
        if host.isEmpty || host.contains(" ") {
            reader.fail("CONCLAVE_HOST", "not a host name or address")
            host = "127.0.0.1"
        }
        let port = reader.integer("CONCLAVE_PORT", default: 8750, range: 0...65535, what: "a port number (0-65535)")
        var dataDirectory = reader.string("CONCLAVE_DATA_DIR", default: "./conclave-data")
        if !dataDirectory.hasPrefix("/") {
            dataDirectory = URL(fileURLWithPath: workingDirectory).appendingPathComponent(dataDirectory).standardizedFileURL.path
        }
        var databaseLocation = DatabaseLocation.sqlite(path: dataDirectory + "/conclave.db")
        let databaseFromEnvironment = reader.optional("CONCLAVE_DATABASE_URL") != nil
        if let url = reader.optional("CONCLAVE_DATABASE_URL") {
            do {
                databaseLocation = try DatabaseLocation.parse(url)
            } catch {
                reader.fail("CONCLAVE_DATABASE_URL", error.description)
            }
        }
        let environment = reader.choice("CONCLAVE_ENV", default: Environment.development, what: "development, production or test")
        let jwtSecret = reader.optional("CONCLAVE_JWT_SECRET")
        let masterKey = reader.optional("CONCLAVE_MASTER_KEY")
        let previousJWTSecrets = reader.list("CONCLAVE_JWT_PREVIOUS_SECRETS")
        for (name, value) in [("CONCLAVE_JWT_SECRET", jwtSecret), ("CONCLAVE_MASTER_KEY", masterKey)] {
            if let value, value.utf8.count < 32, environment == .production {
                reader.fail(name, "must be at least 32 bytes in production")
            }
        }
        let corsOrigins = reader.list("CONCLAVE_CORS_ORIGINS").filter { origin in
            guard origin == "*" || Self.isOrigin(origin) else {
                reader.fail("CONCLAVE_CORS_ORIGINS", "'\(origin.prefix(80))' is not an origin like https://app.example.com")
                return false
            }
            return true
        }
        let trustedProxies = reader.list("CONCLAVE_TRUSTED_PROXIES").compactMap { text -> CIDRBlock? in
            guard let block = CIDRBlock(text) else {
                reader.fail("CONCLAVE_TRUSTED_PROXIES", "'\(text.prefix(80))' is not a CIDR block like 10.0.0.0/8")
                return nil
            }
            return block
        }
        // Bootstrap is a sign-up path (whoever reaches it gets a workspace whose invite makes them
        // its owner), so production leaves it off unless CONCLAVE_DISABLE_BOOTSTRAP=false opts in.
        let disableBootstrap = reader.boolean("CONCLAVE_DISABLE_BOOTSTRAP", default: environment == .production)
        let bootstrapLimit = reader.integer("CONCLAVE_BOOTSTRAP_RATE_LIMIT", default: 5, range: 1...100_000, what: "a number of calls per hour")
        var rateLimits = RateLimitPolicy.defaults
        rateLimits.set(RateLimitRule(name: "bootstrap", limit: bootstrapLimit, periodSeconds: 3600))
        if let spec = reader.optional("CONCLAVE_RATE_LIMITS") {
            do {
                rateLimits = try rateLimits.overridden(by: spec)
            } catch {
                reader.fail("CONCLAVE_RATE_LIMITS", error.description)
            }
        }
        let tlsCertificatePath = reader.optional("CONCLAVE_TLS_CERT")
        let tlsKeyPath = reader.optional("CONCLAVE_TLS_KEY")
        if (tlsCertificatePath == nil) != (tlsKeyPath == nil) {
            reader.fail(tlsCertificatePath == nil ? "CONCLAVE_TLS_CERT" : "CONCLAVE_TLS_KEY", "CONCLAVE_TLS_CERT and CONCLAVE_TLS_KEY must be set together")
        }
        let tlsClientCAPath = reader.optional("CONCLAVE_TLS_CLIENT_CA")
        if tlsClientCAPath != nil, tlsCertificatePath == nil {
            reader.fail("CONCLAVE_TLS_CLIENT_CA", "needs CONCLAVE_TLS_CERT and CONCLAVE_TLS_KEY (mutual TLS is TLS)")
        }
        let testWebSocketEcho = reader.boolean("CONCLAVE_TEST_WS_ECHO", default: false)
        let publicURL = reader.optional("CONCLAVE_PUBLIC_URL")
        if let publicURL, !Self.isPublicURL(publicURL) {
            reader.fail("CONCLAVE_PUBLIC_URL", "must be an http(s) URL such as https://chat.example.com")
        }
        // A short token is a `doctor` warning, not a reason to refuse to start: the contract sets no minimum.
        let metricsToken = reader.optional("CONCLAVE_METRICS_TOKEN")
        let userVerification = reader.choice(
            "CONCLAVE_WEBAUTHN_USER_VERIFICATION", default: UserVerification.preferred, what: "preferred or required"
        )
        let webhookAllowPrivate = reader.boolean("CONCLAVE_WEBHOOK_ALLOW_PRIVATE", default: false)
        let webhookRetryBaseMS = reader.integer(
            "CONCLAVE_WEBHOOK_RETRY_BASE_MS", default: 5000, range: 10...3_600_000, what: "a number of milliseconds (10-3600000)"
        )
        let logLevel = reader.choice("CONCLAVE_LOG_LEVEL", default: Logger.Level.info, what: "trace, debug, info, notice, warning, error or critical")
        let maxMessageLength = reader.integer("CONCLAVE_MAX_MESSAGE_LENGTH", default: 40_000, range: 1...200_000, what: "a number of characters")
        let socketsPerSession = reader.integer("CONCLAVE_WS_SOCKETS_PER_SESSION", default: 5, range: 1...1000, what: "a number of sockets (1-1000)")
        let socketsPerAgent = reader.integer("CONCLAVE_WS_SOCKETS_PER_AGENT", default: 20, range: 1...10_000, what: "a number of sockets (1-10000)")
        let eventRetentionHours = reader.integer(
            "CONCLAVE_EVENT_RETENTION_HOURS", default: 168, range: 1...87_600, what: "a number of hours (1-87600)"
        )
        let maxFileBytes = reader.integer(
            "CONCLAVE_MAX_FILE_BYTES", default: 25 * 1024 * 1024, range: 1...(1 << 32), what: "a number of bytes (1-4294967296)"
        )
        let streamTimeoutSeconds = reader.integer(
            "CONCLAVE_STREAM_TIMEOUT_SECONDS", default: 600, range: 1...86_400, what: "a number of seconds (1-86400)"
        )
        let maxAgentsPerCreator = reader.integer(
            "CONCLAVE_MAX_AGENTS_PER_MEMBER", default: 25, range: 1...10_000, what: "a number of agents (1-10000)"
        )
        let maxAgentsPerWorkspace = reader.integer(
            "CONCLAVE_MAX_AGENTS_PER_WORKSPACE", default: 500, range: 1...100_000, what: "a number of agents (1-100000)"
        )
        let maxConnections = reader.optionalInteger(
            "CONCLAVE_MAX_CONNECTIONS", range: 16...10_000_000, what: "a number of connections (16-10000000)"
        )
        let maxConnectionsPerIP = reader.integer(
            "CONCLAVE_MAX_CONNECTIONS_PER_IP", default: 256, range: 1...10_000_000, what: "a number of connections (1-10000000)"
        )
        if !reader.problems.isEmpty { throw ConfigurationError(reader.problems) }
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
            configuredPublicURL: publicURL,
            metricsToken: metricsToken,
            webauthnUserVerification: userVerification,
            webhookAllowPrivate: webhookAllowPrivate,
            webhookRetryBaseMS: webhookRetryBaseMS,
            logLevel: logLevel,
            maxMessageLength: maxMessageLength,
            socketsPerSession: socketsPerSession,
            socketsPerAgent: socketsPerAgent,
            eventRetentionHours: eventRetentionHours,
            streamTimeoutSeconds: streamTimeoutSeconds,
            maxAgentsPerCreator: maxAgentsPerCreator,
            maxAgentsPerWorkspace: maxAgentsPerWorkspace,
            maxConnections: maxConnections,
            maxConnectionsPerIP: maxConnectionsPerIP,
            maxFileBytes: maxFileBytes
        )
    }

    static func isPublicURL(_ text: String) -> Bool {
        guard let components = URLComponents(string: text), ["http", "https"].contains(components.scheme ?? "") else { return false }
        return components.host?.isEmpty == false
    }

    static func isOrigin(_ text: String) -> Bool {
        guard let components = URLComponents(string: text), let scheme = components.scheme,
            ["http", "https"].contains(scheme), components.host?.isEmpty == false
        else { return false }
        return components.path.isEmpty && components.query == nil && components.fragment == nil
    }
}

/// Reads typed values from an environment dictionary (empty strings count as unset), collecting
/// every unusable value instead of stopping at the first; a bad value reads as its default so
/// the rest can still be checked.
final class EnvironmentReader {
    let env: [String: String]
    private(set) var problems: [ConfigurationError.Finding] = []

    init(env: [String: String]) {
        self.env = env
    }

    func fail(_ name: String, _ reason: String) {
        problems.append(.init(variable: name, reason: reason))
    }

    func optional(_ name: String) -> String? {
        guard let value = env[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }

    func string(_ name: String, default defaultValue: String) -> String {
        optional(name) ?? defaultValue
    }

    func integer(_ name: String, default defaultValue: Int, range: ClosedRange<Int>, what: String) -> Int {
        optionalInteger(name, range: range, what: what) ?? defaultValue
    }

    func optionalInteger(_ name: String, range: ClosedRange<Int>, what: String) -> Int? {
        guard let text = optional(name) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            fail(name, "'\(text.prefix(40))' is not \(what)")
            return nil
        }
        return value
    }

    func boolean(_ name: String, default defaultValue: Bool) -> Bool {
        guard let text = optional(name)?.lowercased() else { return defaultValue }
        switch text {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default:
            fail(name, "must be true or false")
            return defaultValue
        }
    }

    /// One of an enumeration's values, by its raw text.
    func choice<T: RawRepresentable>(_ name: String, default defaultValue: T, what: String) -> T where T.RawValue == String {
        guard let text = optional(name) else { return defaultValue }
        guard let value = T(rawValue: text) else {
            fail(name, "must be \(what)")
            return defaultValue
        }
        return value
    }

    func list(_ name: String) -> [String] {
        guard let text = optional(name) else { return [] }
        return text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
