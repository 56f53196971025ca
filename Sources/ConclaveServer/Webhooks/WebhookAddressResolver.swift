import ConclaveCore
import NIOCore
import NIOPosix
#if canImport(CNIOLinux)
// sockaddr_in's fields: which module clang credits them to depends on the module's other files.
import CNIOLinux
#endif

/// Resolves a webhook's host once per attempt and decides whether the one address it will connect
/// to is allowed (`WebhookAddressPolicy`, unless CONCLAVE_WEBHOOK_ALLOW_PRIVATE).
struct WebhookAddressResolver: Sendable {
    enum Refusal: Error, CustomStringConvertible {
        case unresolvable
        case forbidden(String)

        var description: String {
            switch self {
            case .unresolvable: "the host did not resolve"
            case .forbidden(let reason): "refused: the host resolved to a \(reason)"
            }
        }
    }

    let allowPrivate: Bool

    func resolve(_ url: WebhookURL) async throws -> SocketAddress {
        let address: SocketAddress
        do {
            // getaddrinfo blocks: on the thread pool, never on an event loop.
            address = try await NIOThreadPool.singleton.runIfActive { try SocketAddress.makeAddressResolvingHost(url.host, port: url.port) }
        } catch {
            throw Refusal.unresolvable
        }
        if !allowPrivate, let reason = WebhookAddressPolicy.refusal(Self.bytes(of: address)) { throw Refusal.forbidden(reason) }
        return address
    }

    static func bytes(of address: SocketAddress) -> [UInt8] {
        switch address {
        case .v4(let v4): withUnsafeBytes(of: v4.address.sin_addr) { Array($0) }
        case .v6(let v6): withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
        default: []
        }
    }
}
