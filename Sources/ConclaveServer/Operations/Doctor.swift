import ConclaveStore
import Foundation

/// The production checklist. Each finding is ok, warn or fatal; with CONCLAVE_ENV=production the
/// server refuses to start while any finding is fatal.
public struct Doctor: Sendable {
    static let minimumMetricsTokenLength = 16

    public enum Severity: String, Sendable, Comparable {
        case ok, warn, fatal

        public static func < (lhs: Severity, rhs: Severity) -> Bool {
            let order: [Severity] = [.ok, .warn, .fatal]
            return order.firstIndex(of: lhs)! < order.firstIndex(of: rhs)!
        }
    }

    public struct Finding: Sendable, CustomStringConvertible {
        public let severity: Severity
        public let check: String
        public let message: String

        public init(severity: Severity, check: String, message: String) {
            self.severity = severity
            self.check = check
            self.message = message
        }

        public var description: String {
            "\(severity.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0)) \(check): \(message)"
        }
    }

    let configuration: ConclaveConfiguration

    public init(configuration: ConclaveConfiguration) {
        self.configuration = configuration
    }

    static let loopbackHosts: Set<String> = ["127.0.0.1", "::1", "localhost", "[::1]"]

    /// Bootstrap is a sign-up path: whoever reaches it gets a workspace whose invite makes them
    /// its owner. Production turns it off unless it was asked for (CONCLAVE_DISABLE_BOOTSTRAP=false).
    func bootstrapFinding() -> Finding {
        if configuration.disableBootstrap {
            return Finding(
                severity: .ok, check: "bootstrap",
                message: configuration.environment == .production
                    ? "agent self-bootstrap is off (the production default; CONCLAVE_DISABLE_BOOTSTRAP=false turns it on)"
                    : "agent self-bootstrap is disabled"
            )
        }
        return Finding(
            severity: .warn, check: "bootstrap",
            message: "POST /api/v1/bootstrap is enabled, so anyone who reaches it can create a workspace and own it through its invite; "
                + "set CONCLAVE_DISABLE_BOOTSTRAP=true once agents are provisioned"
        )
    }

    /// Checks that need no database.
    public func staticFindings() -> [Finding] {
        var findings: [Finding] = []
        findings.append(listenerFinding())
        if let finding = databaseTLSFinding() { findings.append(finding) }
        findings += secretFindings()
        findings += fileModeFindings()
        findings += connectionFindings()
        if configuration.testWebSocketEcho {
            findings.append(Finding(severity: .fatal, check: "test-routes", message: "CONCLAVE_TEST_WS_ECHO is on: a test-only WebSocket echo route is served"))
        }
        if configuration.corsAllowsAny {
            findings.append(Finding(severity: .warn, check: "cors", message: "CONCLAVE_CORS_ORIGINS is '*': any web origin may call the API"))
        } else {
            findings.append(Finding(severity: .ok, check: "cors", message: configuration.corsOrigins.isEmpty ? "no cross-origin access" : "allowlist of \(configuration.corsOrigins.count) origin(s)"))
        }
        findings.append(bootstrapFinding())
        if let token = configuration.metricsToken, token.utf8.count < Self.minimumMetricsTokenLength {
            findings.append(Finding(
                severity: .warn, check: "metrics",
                message: "CONCLAVE_METRICS_TOKEN is shorter than \(Self.minimumMetricsTokenLength) characters; use a random one (openssl rand -hex 32)"
            ))
        } else if configuration.metricsToken == nil, !isLoopbackListener {
            findings.append(Finding(severity: .warn, check: "metrics", message: "no CONCLAVE_METRICS_TOKEN on a public listener; /metrics answers loopback clients only"))
        } else {
            findings.append(Finding(severity: .ok, check: "metrics", message: configuration.metricsToken == nil ? "loopback only" : "token required"))
        }
        return findings
    }

    var isLoopbackListener: Bool { Self.loopbackHosts.contains(configuration.host) || configuration.host.hasPrefix("127.") }

    func listenerFinding() -> Finding {
        if configuration.tlsEnabled {
            let paths = [configuration.tlsCertificatePath, configuration.tlsKeyPath, configuration.tlsClientCAPath].compactMap { $0 }
            for path in paths where !FileManager.default.isReadableFile(atPath: path) {
                return Finding(severity: .fatal, check: "listener", message: "TLS file \(path) is not readable")
            }
            let mutual = configuration.tlsClientCAPath == nil ? "" : ", client certificates required"
            return Finding(severity: .ok, check: "listener", message: "TLS 1.3 on \(configuration.host)\(mutual)")
        }
        if isLoopbackListener {
            return Finding(severity: .ok, check: "listener", message: "plaintext on loopback \(configuration.host) only")
        }
        if !configuration.trustedProxies.isEmpty {
            return Finding(severity: .ok, check: "listener", message: "plaintext on \(configuration.host) behind trusted proxies")
        }
        return Finding(
            severity: .fatal,
            check: "listener",
            message: "plaintext listener on non-loopback \(configuration.host) with no TLS and no CONCLAVE_TRUSTED_PROXIES"
        )
    }

    /// Off this machine, only `verify-full` stops someone on the network path from reading or
    /// changing everything the server stores: `require` and `verify-ca` accept a certificate
    /// issued for another host, and `prefer` and `disable` may not encrypt at all.
    func databaseTLSFinding() -> Finding? {
        guard case .postgres(let settings) = configuration.databaseLocation else { return nil }
        if settings.isLoopback {
            return Finding(severity: .ok, check: "database-tls", message: "PostgreSQL on loopback (sslmode=\(settings.tls.rawValue))")
        }
        if settings.tls == .verifyFull {
            return Finding(severity: .ok, check: "database-tls", message: "TLS to \(settings.host) with its certificate and name checked (verify-full)")
        }
        return Finding(
            severity: .warn, check: "database-tls",
            message: "PostgreSQL at \(settings.host) with sslmode=\(settings.tls.rawValue): use sslmode=verify-full (and sslrootcert=) so the server's certificate and name are checked"
        )
    }

    func secretFindings() -> [Finding] {
        [("CONCLAVE_JWT_SECRET", configuration.jwtSecret), ("CONCLAVE_MASTER_KEY", configuration.masterKey)].map { name, value in
            guard let value else {
                return Finding(severity: .warn, check: "secrets", message: "\(name) is generated into the data directory; give it from the environment or a secret manager in production")
            }
            if value.utf8.count < 32 {
                return Finding(severity: .fatal, check: "secrets", message: "\(name) is shorter than 32 bytes")
            }
            return Finding(severity: .ok, check: "secrets", message: "\(name) comes from the environment")
        }
    }

    func fileModeFindings() -> [Finding] {
        var findings: [Finding] = []
        let directory = configuration.dataDirectory
        if let mode = PrivateFile.mode(of: directory) {
            findings.append(
                mode & 0o077 == 0
                    ? Finding(severity: .ok, check: "files", message: "data directory is private (\(String(mode, radix: 8)))")
                    : Finding(severity: .fatal, check: "files", message: "data directory \(directory) is readable by group or others (mode \(String(mode, radix: 8))); chmod 700 it")
            )
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            for entry in entries.sorted() {
                let path = directory + "/" + entry
                if let fileMode = PrivateFile.mode(of: path), fileMode & 0o077 != 0 {
                    findings.append(Finding(severity: .fatal, check: "files", message: "\(path) is readable by group or others (mode \(String(fileMode, radix: 8))); chmod 600 it"))
                }
            }
        } else {
            findings.append(Finding(severity: .ok, check: "files", message: "data directory will be created with mode 700"))
        }
        if case .sqlite(let path) = configuration.databaseLocation, !path.hasPrefix(directory + "/"),
            let mode = PrivateFile.mode(of: path), mode & 0o077 != 0
        {
            findings.append(Finding(severity: .fatal, check: "files", message: "database file \(path) is readable by group or others; chmod 600 it"))
        }
        return findings
    }

    public func databaseFinding(reachable: Bool) -> Finding {
        reachable
            ? Finding(severity: .ok, check: "database", message: "\(configuration.databaseLocation.redacted) answers")
            : Finding(severity: .fatal, check: "database", message: "\(configuration.databaseLocation.redacted) does not answer")
    }
}
