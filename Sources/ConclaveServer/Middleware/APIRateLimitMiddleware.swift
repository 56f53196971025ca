import ConclaveCore
import HTTPTypes
import Hummingbird

/// The contract's `api` limit (REST and MCP alike): per principal when authenticated, per client IP (a lower limit)
/// when not. Every response it passes carries the RateLimit-* headers.
struct APIRateLimitMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    let limiter: RateLimiter
    let policy: RateLimitPolicy

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard AuthenticationMiddleware.authenticates(request.uri.path) else {
            return try await next(request, context)
        }
        let status: RateLimitStatus
        if let principal = context.principal {
            status = limiter.consume(policy["api"], key: principal.id)
        } else {
            status = limiter.consume(policy["api_anonymous"], key: context.clientIP)
        }
        guard status.allowed else {
            throw Problem.rateLimited(retryAfterSeconds: status.retryAfterSeconds).withRateLimitHeaders(status)
        }
        var response: Response
        do {
            response = try await next(request, context)
        } catch let problem as Problem where problem.headers["RateLimit-Limit"] == nil {
            throw problem.withRateLimitHeaders(status)
        }
        if response.headers[.rateLimitLimit] == nil {
            response.headers.setRateLimit(status)
        }
        return response
    }
}

extension HTTPFields {
    mutating func setRateLimit(_ status: RateLimitStatus) {
        self[.rateLimitLimit] = String(status.limit)
        self[.rateLimitRemaining] = String(status.remaining)
        self[.rateLimitReset] = String(status.resetSeconds)
    }
}

extension Problem {
    func withRateLimitHeaders(_ status: RateLimitStatus) -> Problem {
        var problem = self
        problem.headers["RateLimit-Limit"] = String(status.limit)
        problem.headers["RateLimit-Remaining"] = String(status.remaining)
        problem.headers["RateLimit-Reset"] = String(status.resetSeconds)
        return problem
    }
}

extension ServerDependencies {
    /// Applies a named limit inside a route; throws 429 (with headers) when exhausted.
    func enforce(_ name: String, key: String) throws -> RateLimitStatus {
        let status = rateLimiter.consume(configuration.rateLimits[name], key: key)
        guard status.allowed else {
            throw Problem.rateLimited(retryAfterSeconds: status.retryAfterSeconds).withRateLimitHeaders(status)
        }
        return status
    }
}
