import HTTPTypes
import Hummingbird

/// CORS against CONCLAVE_CORS_ORIGINS. Only listed origins get `Access-Control-Allow-Origin`;
/// credentials are bearer tokens, never cookies, so `Allow-Credentials` is never sent.
struct CORSAllowlistMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    let allowedOrigins: Set<String>
    var allowsAny: Bool { allowedOrigins.contains("*") }

    static let allowMethods = "GET, POST, PATCH, PUT, DELETE, OPTIONS"
    static let allowHeaders = "Authorization, Content-Type, Idempotency-Key, X-Request-Id"
    static let exposeHeaders = "X-Request-Id, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, WWW-Authenticate, Location"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin] else {
            return try await next(request, context)
        }
        let allowed = allowsAny || allowedOrigins.contains(origin)
        let isPreflight = request.method == .options && request.headers[.accessControlRequestMethod] != nil
        if isPreflight {
            var response = Response(status: .noContent)
            response.headers[.vary] = "Origin"
            if allowed {
                response.headers[.accessControlAllowOrigin] = allowsAny ? "*" : origin
                response.headers[.accessControlAllowMethods] = Self.allowMethods
                response.headers[.accessControlAllowHeaders] = Self.allowHeaders
                response.headers[.accessControlMaxAge] = "600"
            }
            return response
        }
        var response = try await next(request, context)
        response.headers[.vary] = "Origin"
        if allowed {
            response.headers[.accessControlAllowOrigin] = allowsAny ? "*" : origin
            response.headers[.accessControlExposeHeaders] = Self.exposeHeaders
        }
        return response
    }
}
