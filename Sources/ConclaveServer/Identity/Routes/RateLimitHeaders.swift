import HTTPTypes

extension HTTPFields {
    /// The `RateLimit-*` headers of a bucket a route spent from, for a successful answer.
    static func rateLimit(_ status: RateLimitStatus) -> HTTPFields {
        var headers = HTTPFields()
        headers.setRateLimit(status)
        return headers
    }
}
