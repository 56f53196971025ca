import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// The per-request context every route sees.
public struct AppRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The TCP peer. The client IP is derived from it (see `ClientAddressResolver`).
    public let remoteAddress: SocketAddress?
    public var requestID: String = ""
    /// The client's IP as the server believes it: the socket peer, or X-Forwarded-For from a trusted proxy.
    public var clientIP: String = ""
    /// Rate-limit state to report in `RateLimit-*` headers on this response.
    public var rateLimitStatus: RateLimitStatus?

    /// The contract's request body limit; `collect(upTo:)` enforces it while reading.
    public var maxUploadSize: Int { RequestBodyLimit.maxBytes }

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }
}
