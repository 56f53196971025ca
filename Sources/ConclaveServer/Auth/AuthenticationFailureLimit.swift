import ConclaveCore

/// The `auth_failures` limit: credentials refused after a database read (a well-formed API key
/// that is unknown, revoked or expired; a validly signed token whose session has ended) are
/// counted per client IP, and once the IP has spent its allowance every further credential it
/// presents is refused with 429 before any lookup. A flood of made-up keys therefore costs at
/// most that many database reads per IP, on REST, on long polls and on the WebSocket's first frame
/// alike. Refusals that cost no read (a malformed header, a bad checksum, a forged or expired
/// token) are not counted: they cost the server nothing to repeat, and counting them would let a
/// client's own garbage lock its good credentials out.
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

    /// The bucket's state without counting, for the RateLimit-* headers of a free refusal.
    func status(clientIP: String) -> RateLimitStatus {
        limiter.peek(rule, key: clientIP)
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

/// A credential refused (401), and whether finding that out cost a database read: only those
/// count against `auth_failures`.
struct CredentialRefusal: Error {
    let problem: Problem
    let costly: Bool
}
