import ConclaveCore
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore

/// The per-request context every route sees.
public struct AppRequestContext: RequestContext, RemoteAddressRequestContext, WebSocketRequestContext {
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

extension AppRequestContext {
    /// The authenticated principal, or 401 with `WWW-Authenticate: Bearer`.
    func requirePrincipal() throws -> Principal {
        guard let principal else { throw Problem.unauthorized() }
        return principal
    }

    /// The principal, which must hold `scope` if it authenticated with an API key (403 naming the
    /// missing scope otherwise). Sessions are limited by role alone.
    func requirePrincipal(scope: Scope) throws -> Principal {
        let principal = try requirePrincipal()
        if let scopes = principal.scopes, !scopes.contains(scope.rawValue) {
            throw Problem.forbidden("This API key lacks the scope \(scope.rawValue).")
        }
        return principal
    }

    /// A human signed in with a session (not an API key).
    func requireHumanSession() throws -> (principal: Principal, sessionID: String) {
        let principal = try requirePrincipal()
        guard principal.kind == .human, let sessionID = principal.sessionID else {
            throw Problem.forbidden("This action needs a signed-in person, not an API key.")
        }
        return (principal, sessionID)
    }
}
