import ConclaveCore

/// The `auth_failures` limit: credentials that fail to authenticate (an unknown or revoked API
/// key, a bad or expired token, a malformed Authorization header) are counted per client IP, and
/// once the IP has spent its allowance every further credential it presents is refused with 429
/// before any lookup. A flood of made-up keys therefore costs at most that many database reads
/// per IP, on REST, on long polls and on the WebSocket's first frame alike.
struct AuthenticationFailureLimit: Sendable {
    static let name = "auth_failures"

    let limiter: RateLimiter
    let rule: RateLimitRule

    /// The 429 to answer before authenticating, if this IP has no failures left.
    func refusal(clientIP: String) -> Problem? {
        let status = limiter.peek(rule, key: clientIP)
        guard !status.allowed else { return nil }
        return Problem.rateLimited(retryAfterSeconds: status.retryAfterSeconds).withRateLimitHeaders(status)
    }

    /// Counts one failure; returns the bucket's state for the RateLimit-* headers of the 401.
    @discardableResult
    func record(clientIP: String) -> RateLimitStatus {
        var status = limiter.consume(rule, key: clientIP)
        // The failure itself was answered (401), not refused: the headers tell what is left.
        status.allowed = true
        return status
    }
}
