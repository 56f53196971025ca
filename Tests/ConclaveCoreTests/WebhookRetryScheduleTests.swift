import ConclaveCore
import Testing

/// The retry schedule: doubling from the base with jitter over the upper half, capped; a longer
/// Retry-After wins (capped too); nothing is tried after three days.
@Suite struct WebhookRetryScheduleTests {
    let schedule = WebhookRetrySchedule(baseMilliseconds: 1000, maxDelayMilliseconds: 60_000)

    @Test func doublesWithJitterInTheUpperHalf() {
        #expect(schedule.delay(afterFailures: 1, unit: 0) == 500)
        #expect(schedule.delay(afterFailures: 1, unit: 0.999) >= 999)
        #expect(schedule.delay(afterFailures: 2, unit: 0) == 1000)
        #expect(schedule.delay(afterFailures: 3, unit: 0.5) == 3000)
        #expect(schedule.delay(afterFailures: 30, unit: 0.999) <= 60_000)
        #expect(schedule.delay(afterFailures: 1000, unit: 0) == 30_000, "a huge attempt count overflows")
    }

    @Test func honoursALongerRetryAfterWithinTheCap() {
        #expect(schedule.delay(afterFailures: 1, retryAfterMilliseconds: 10_000, unit: 0) == 10_000)
        #expect(schedule.delay(afterFailures: 1, retryAfterMilliseconds: 10, unit: 0) == 500)
        #expect(schedule.delay(afterFailures: 1, retryAfterMilliseconds: 10_000_000, unit: 0) == 60_000)
    }

    @Test func givesUpAfterThreeDays() {
        #expect(schedule.allows(nextAttemptAt: WebhookRetrySchedule.threeDays, createdAt: 0))
        #expect(!schedule.allows(nextAttemptAt: WebhookRetrySchedule.threeDays + 1, createdAt: 0))
    }
}
