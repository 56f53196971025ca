import ConclaveCore
import Hummingbird

/// What every Conclave request context gives a handler, whether or not it is authenticated.
public protocol ConclaveRequestContext: RequestContext {
    /// This request's id, also in its log line and its `X-Request-Id` header.
    var requestID: String { get }
    /// The client's IP as the server believes it: the socket peer, or X-Forwarded-For from a trusted proxy.
    var clientIP: String { get }
}
