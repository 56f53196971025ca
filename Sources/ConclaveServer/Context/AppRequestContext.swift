import ConclaveCore
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore

/// The context every request starts with. Routes that need a principal are registered in groups
/// whose context has one (`AuthenticatedRequestContext`, `SessionRequestContext`); this one is
/// seen directly only by the middleware and by the routes open to anyone.
public struct AppRequestContext: ConclaveRequestContext, RemoteAddressRequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The TCP peer. The client IP is derived from it (see `ClientAddressResolver`).
    public let remoteAddress: SocketAddress?
    /// The connection, so a WebSocket can be cut off when a close handshake cannot get through.
    let channel: any Channel
    public var requestID: String = ""
    /// The client's IP as the server believes it: the socket peer, or X-Forwarded-For from a trusted proxy.
    public var clientIP: String = ""
    /// Rate-limit state to report in `RateLimit-*` headers on this response.
    public var rateLimitStatus: RateLimitStatus?
    /// Set by `AuthenticationMiddleware` when valid credentials were presented.
    public var principal: Principal?
    /// The credential caches' generation read just before `principal` was authenticated.
    var credentialGeneration: UInt64 = 0
    /// Kept outside the context, so the context stored in it does not keep itself alive.
    public var webSocket: WebSocketHandlerReference<AppRequestContext> { WebSocketHandlerReferences.reference(for: channel) }

    /// The contract's request body limit; `collect(upTo:)` enforces it while reading.
    public var maxUploadSize: Int { RequestBodyLimit.maxBytes }

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
        self.channel = source.channel
    }
}
