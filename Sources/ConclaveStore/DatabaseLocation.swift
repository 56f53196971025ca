import Foundation

/// Where the data lives: an SQLite file (the embedded default) or a PostgreSQL server.
public enum DatabaseLocation: Sendable, Equatable {
    case sqlite(path: String)
    case postgres(PostgresSettings)

    public struct PostgresSettings: Sendable, Equatable {
        /// libpq's `sslmode` values, with libpq's meaning (`allow` is taken as `prefer`).
        public enum TLSMode: String, Sendable {
            /// Never TLS.
            case disable
            /// TLS when the server offers it, else plaintext; no certificate check (unless
            /// `sslrootcert` is given). A man in the middle can strip it: loopback only by default.
            case prefer
            /// TLS or no connection; no certificate check unless `sslrootcert` is given (then
            /// as `verify-ca`), as libpq does.
            case require
            /// TLS with the server's chain checked against `sslrootcert` (or the system's
            /// roots); the host name is not checked.
            case verifyCA = "verify-ca"
            /// `verify-ca`, and the certificate must name the host connected to.
            case verifyFull = "verify-full"
        }

        public var host: String
        public var port: Int
        public var username: String
        public var password: String?
        public var database: String
        public var tls: TLSMode
        /// The CA file that the server's certificate must chain to (`sslrootcert=`); nil for the
        /// system's roots (`sslrootcert=system`, or none given).
        public var rootCertificatePath: String?

        /// Whether the database is on this machine, where nobody can stand between us and it.
        public var isLoopback: Bool { DatabaseLocation.isLoopback(host: host) }
    }

    public enum ParseError: Error, CustomStringConvertible {
        case invalid(String)

        public var description: String {
            switch self { case .invalid(let reason): reason }
        }
    }

    /// Parses `sqlite:///abs/path.db` or
    /// `postgres://user:pass@host:port/db[?sslmode=…][&sslrootcert=/path/ca.pem|system]`.
    /// Without `sslmode` the mode is `prefer` for a loopback host and `require` for any other,
    /// where a downgrade to plaintext could be forced from the network.
    public static func parse(_ text: String) throws(ParseError) -> DatabaseLocation {
        if text.hasPrefix("sqlite://") {
            let path = String(text.dropFirst("sqlite://".count))
            guard path.hasPrefix("/"), path.count > 1 else {
                throw .invalid("an sqlite URL needs an absolute path: sqlite:///abs/path.db")
            }
            return .sqlite(path: path)
        }
        guard let components = URLComponents(string: text),
            let scheme = components.scheme, scheme == "postgres" || scheme == "postgresql"
        else {
            throw .invalid("expected sqlite:///abs/path.db or postgres://user:pass@host:port/db")
        }
        guard var host = components.host, !host.isEmpty else { throw .invalid("the postgres URL has no host") }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard let user = components.user, !user.isEmpty else { throw .invalid("the postgres URL has no user") }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else { throw .invalid("the postgres URL names no database") }
        let query = components.queryItems ?? []
        var tls: PostgresSettings.TLSMode = isLoopback(host: host) ? .prefer : .require
        if let mode = query.first(where: { $0.name == "sslmode" })?.value {
            switch mode {
            case "allow", "prefer": tls = .prefer
            default:
                guard let known = PostgresSettings.TLSMode(rawValue: mode) else {
                    // Echoed only when it looks like a mode: a mangled URL could put part of the
                    // password here.
                    let shown = mode.count <= 20 && mode.allSatisfy({ $0.isLetter || $0 == "-" }) ? " '\(mode)'" : ""
                    throw .invalid("unsupported sslmode\(shown): use disable, prefer, require, verify-ca or verify-full")
                }
                tls = known
            }
        }
        var rootCertificatePath: String?
        if let root = query.first(where: { $0.name == "sslrootcert" })?.value, root != "system" {
            guard FileManager.default.isReadableFile(atPath: root) else {
                throw .invalid("sslrootcert names a file that cannot be read")
            }
            rootCertificatePath = root
        }
        return .postgres(
            PostgresSettings(
                host: host,
                port: components.port ?? 5432,
                username: user.removingPercentEncoding ?? user,
                password: components.password.map { $0.removingPercentEncoding ?? $0 },
                database: database,
                tls: tls,
                rootCertificatePath: rootCertificatePath
            )
        )
    }

    /// `localhost`, `::1` or an IPv4 literal in 127.0.0.0/8 (not a name that merely starts with "127.").
    static func isLoopback(host: String) -> Bool {
        if host == "localhost" || host == "::1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets.allSatisfy { UInt8($0) != nil } && octets[0] == "127"
    }

    /// A description safe to print: never includes the password.
    public var redacted: String {
        switch self {
        case .sqlite(let path): "sqlite://\(path)"
        case .postgres(let settings): "postgres://\(settings.username)@\(settings.host):\(settings.port)/\(settings.database)"
        }
    }
}
