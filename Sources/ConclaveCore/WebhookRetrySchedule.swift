/// When a failed webhook delivery is tried again: exponential backoff from `baseMilliseconds`
/// (doubling per attempt, capped at `maxDelayMilliseconds`) with "full jitter" over the upper half
/// of the delay, so endpoints that failed together do not all retry in the same instant; a
/// `Retry-After` from the receiver wins when it asks for longer (capped as well). A delivery
/// whose next try would fall after `windowMilliseconds` (3 days) from its creation is dead.
public struct WebhookRetrySchedule: Sendable, Equatable {
    public var baseMilliseconds: Int64
    public var maxDelayMilliseconds: Int64
    public var windowMilliseconds: Int64

    public static let threeDays: Int64 = 3 * 24 * 3_600_000

    public init(baseMilliseconds: Int64, maxDelayMilliseconds: Int64 = 6 * 3_600_000, windowMilliseconds: Int64 = Self.threeDays) {
        self.baseMilliseconds = max(1, baseMilliseconds)
        self.maxDelayMilliseconds = max(self.baseMilliseconds, maxDelayMilliseconds)
        self.windowMilliseconds = windowMilliseconds
    }

    /// The delay before attempt `attempts + 1`, after `attempts` failures (≥ 1). `unit` is a
    /// random number in [0, 1) (the jitter), passed in so the schedule stays a pure function.
    public func delay(afterFailures attempts: Int, retryAfterMilliseconds: Int64? = nil, unit: Double) -> Int64 {
        let exponent = min(max(attempts - 1, 0), 40)
        let (product, overflow) = baseMilliseconds.multipliedReportingOverflow(by: Int64(1) << exponent)
        let full = overflow ? maxDelayMilliseconds : min(maxDelayMilliseconds, product)
        let jittered = full / 2 + Int64(Double(full / 2) * min(max(unit, 0), 0.999_999))
        guard let retryAfterMilliseconds, retryAfterMilliseconds > jittered else { return jittered }
        return min(retryAfterMilliseconds, maxDelayMilliseconds)
    }

    /// Whether a delivery created at `createdAt` may still be tried at `nextAttemptAt`.
    public func allows(nextAttemptAt: Int64, createdAt: Int64) -> Bool {
        nextAttemptAt - createdAt <= windowMilliseconds
    }
}
