import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL

/// The certificate chain and private key the TLS listener presents, replaceable while the server
/// runs. Every handshake asks the store for the current pair (NIOSSL's context callback), so a
/// reload reaches new connections at once and never touches connections already established.
public final class TLSCertificateStore: Sendable {
    public struct Material: Sendable {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
    }

    /// A certificate or key file that cannot be used. The description names the file, never its content.
    public struct LoadError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    let certificatePath: String
    let keyPath: String
    let clientCAPath: String?
    private let current: NIOLockedValueBox<Material>

    public init(certificatePath: String, keyPath: String, clientCAPath: String?) throws(LoadError) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        self.clientCAPath = clientCAPath
        self.current = NIOLockedValueBox(try Self.load(certificatePath: certificatePath, keyPath: keyPath))
        if let clientCAPath {
            _ = try Self.certificates(at: clientCAPath, what: "CONCLAVE_TLS_CLIENT_CA")
        }
    }

    /// Reads the files again and, if they hold a usable pair, presents it from the next handshake on.
    /// A bad file leaves the previous pair in place.
    public func reload() throws(LoadError) {
        let material = try Self.load(certificatePath: certificatePath, keyPath: keyPath)
        current.withLockedValue { $0 = material }
    }

    /// The server configuration: TLS 1.3 only, certificates from this store per handshake, and
    /// client certificates required and checked against the client CA when one is configured.
    public func serverConfiguration() -> TLSConfiguration {
        let material = current.withLockedValue { $0 }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: material.chain.map { .certificate($0) },
            privateKey: .privateKey(material.key)
        )
        configuration.minimumTLSVersion = .tlsv13
        configuration.maximumTLSVersion = .tlsv13
        // HTTP/1.1 only: WebSocket upgrades need it, and no h2 handler is installed.
        configuration.applicationProtocols = ["http/1.1"]
        if let clientCAPath {
            configuration.certificateVerification = .noHostnameVerification
            configuration.trustRoots = .file(clientCAPath)
        }
        configuration.sslContextCallback = { [current] _, promise in
            let material = current.withLockedValue { $0 }
            var override = NIOSSLContextConfigurationOverride()
            override.certificateChain = material.chain.map { .certificate($0) }
            override.privateKey = .privateKey(material.key)
            promise.succeed(override)
        }
        return configuration
    }

    static func load(certificatePath: String, keyPath: String) throws(LoadError) -> Material {
        let chain = try certificates(at: certificatePath, what: "CONCLAVE_TLS_CERT")
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(bytes: try bytes(at: keyPath, what: "CONCLAVE_TLS_KEY"), format: .pem)
        } catch let error as LoadError {
            throw error
        } catch {
            throw LoadError(description: "CONCLAVE_TLS_KEY: \(keyPath) is not a PEM private key")
        }
        // A key that does not belong to the leaf certificate would fail every handshake; refuse it now.
        var probe = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        probe.minimumTLSVersion = .tlsv13
        do {
            _ = try NIOSSLContext(configuration: probe)
        } catch {
            throw LoadError(description: "CONCLAVE_TLS_KEY: \(keyPath) does not match the certificate in \(certificatePath)")
        }
        return Material(chain: chain, key: key)
    }

    static func certificates(at path: String, what variable: String) throws(LoadError) -> [NIOSSLCertificate] {
        let data = try bytes(at: path, what: variable)
        guard let chain = try? NIOSSLCertificate.fromPEMBytes(data), !chain.isEmpty else {
            throw LoadError(description: "\(variable): \(path) holds no PEM certificate")
        }
        return chain
    }

    static func bytes(at path: String, what variable: String) throws(LoadError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadError(description: "\(variable): \(path) cannot be read")
        }
        return Array(data)
    }
}
