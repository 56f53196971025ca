import NIOSSL
import PostgresNIO

/// libpq's `sslmode` semantics mapped onto NIOSSL, for the pool and for single connections alike.
///
/// `prefer` and `require` encrypt but accept any certificate (unless `sslrootcert` is given: then
/// the chain is checked, as libpq does); `verify-ca` checks the chain against `sslrootcert` or the
/// system's roots; `verify-full` also checks that the certificate names the host (a DNS name
/// against its DNS names, an IP address against its IP addresses). TLS 1.2 at least, as libpq's
/// default `ssl_min_protocol_version`.
enum PostgresTLS {
    /// The client configuration for `settings`; nil when TLS is off.
    static func configuration(for settings: DatabaseLocation.PostgresSettings) -> TLSConfiguration? {
        guard settings.tls != .disable else { return nil }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        if let root = settings.rootCertificatePath { configuration.trustRoots = .file(root) }
        switch settings.tls {
        case .disable, .prefer, .require:
            configuration.certificateVerification = settings.rootCertificatePath == nil ? .none : .noHostnameVerification
        case .verifyCA:
            configuration.certificateVerification = .noHostnameVerification
        case .verifyFull:
            configuration.certificateVerification = .fullVerification
        }
        return configuration
    }

    /// For `PostgresClient` (the pool).
    static func poolTLS(for settings: DatabaseLocation.PostgresSettings) -> PostgresClient.Configuration.TLS {
        guard let configuration = configuration(for: settings) else { return .disable }
        return settings.tls == .prefer ? .prefer(configuration) : .require(configuration)
    }

    /// For a single `PostgresConnection` (the reachability probe, the LISTEN connections).
    static func connectionTLS(for settings: DatabaseLocation.PostgresSettings) throws -> PostgresConnection.Configuration.TLS {
        guard let configuration = configuration(for: settings) else { return .disable }
        let context = try NIOSSLContext(configuration: configuration)
        return settings.tls == .prefer ? .prefer(context) : .require(context)
    }
}
