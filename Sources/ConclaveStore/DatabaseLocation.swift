import Foundation

/// Where the data lives: an SQLite file (the embedded default) or a PostgreSQL server.
public enum DatabaseLocation: Sendable, Equatable {
    case sqlite(path: String)
    case postgres(PostgresSettings)

    public struct PostgresSettings: Sendable, Equatable {
        public enum TLSMode: String, Sendable { case disable, prefer, require }

        public var host: String
        public var port: Int
        public var username: String
        public var password: String?
        public var database: String
        public var tls: TLSMode
    }

    public enum ParseError: Error, CustomStringConvertible {
        case invalid(String)

        public var description: String {
            switch self { case .invalid(let reason): reason }
        }
    }

    /// Parses `sqlite:///abs/path.db` or `postgres://user:pass@host:port/db[?sslmode=disable|prefer|require]`.
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
        guard let host = components.host, !host.isEmpty else { throw .invalid("the postgres URL has no host") }
        guard let user = components.user, !user.isEmpty else { throw .invalid("the postgres URL has no user") }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else { throw .invalid("the postgres URL names no database") }
        var tls = PostgresSettings.TLSMode.prefer
        if let mode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value {
            switch mode {
            case "disable": tls = .disable
            case "allow", "prefer": tls = .prefer
            case "require", "verify-ca", "verify-full": tls = .require
            default: throw .invalid("unsupported sslmode '\(mode)'")
            }
        }
        return .postgres(
            PostgresSettings(
                host: host,
                port: components.port ?? 5432,
                username: user.removingPercentEncoding ?? user,
                password: components.password.map { $0.removingPercentEncoding ?? $0 },
                database: database,
                tls: tls
            )
        )
    }

    /// A description safe to print: never includes the password.
    public var redacted: String {
        switch self {
        case .sqlite(let path): "sqlite://\(path)"
        case .postgres(let settings): "postgres://\(settings.username)@\(settings.host):\(settings.port)/\(settings.database)"
        }
    }
}
