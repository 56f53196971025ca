import ConclaveCore
import ConclaveServer
import Synchronization
import Testing

final class ManualClock: Sendable {
    let seconds = Mutex<Double>(0)
    func advance(_ delta: Double) { seconds.withLock { $0 += delta } }
    func now() -> Double { seconds.withLock { $0 } }
}

@Suite struct RateLimiterTests {
    @Test func aBucketRefusesPastItsLimitAndRefillsOverTime() {
        let clock = ManualClock()
        let limiter = RateLimiter(now: { clock.now() })
        let rule = RateLimitRule(name: "login", limit: 5, periodSeconds: 60)
        for expectedRemaining in (0..<5).reversed() {
            let status = limiter.consume(rule, key: "1.2.3.4")
            #expect(status.allowed)
            #expect(status.remaining == expectedRemaining)
        }
        let refused = limiter.consume(rule, key: "1.2.3.4")
        #expect(!refused.allowed)
        #expect(refused.retryAfterSeconds == 12)
        #expect(limiter.consume(rule, key: "5.6.7.8").allowed)
        clock.advance(12)
        #expect(limiter.consume(rule, key: "1.2.3.4").allowed)
        #expect(!limiter.consume(rule, key: "1.2.3.4").allowed)
    }

    @Test func burstIsSeparateFromRate() {
        let clock = ManualClock()
        let limiter = RateLimiter(now: { clock.now() })
        let rule = RateLimitRule(name: "send", limit: 120, periodSeconds: 60, burst: 20)
        for _ in 0..<20 { #expect(limiter.consume(rule, key: "p").allowed) }
        #expect(!limiter.consume(rule, key: "p").allowed)
        clock.advance(0.5)
        #expect(limiter.consume(rule, key: "p").allowed)
    }

    @Test func memoryIsBoundedUnderAFloodOfKeys() {
        let clock = ManualClock()
        let limiter = RateLimiter(shardCount: 4, maxKeysPerShard: 100, now: { clock.now() })
        let rule = RateLimitRule(name: "api_anonymous", limit: 100, periodSeconds: 60)
        for index in 0..<50_000 {
            _ = limiter.consume(rule, key: "10.0.\(index / 256).\(index % 256)")
        }
        #expect(limiter.trackedKeys <= 400)
    }

    @Test func aFloodOfNewKeysDoesNotResetAnExhaustedBucketEarly() {
        let clock = ManualClock()
        let limiter = RateLimiter(shardCount: 1, maxKeysPerShard: 100, now: { clock.now() })
        let strict = RateLimitRule(name: "bootstrap", limit: 1, periodSeconds: 3600)
        #expect(limiter.consume(strict, key: "victim").allowed)
        let flood = RateLimitRule(name: "api_anonymous", limit: 100, periodSeconds: 60)
        for index in 0..<600 { _ = limiter.consume(flood, key: "x\(index)") }
        #expect(!limiter.consume(strict, key: "victim").allowed)
    }
}

@Suite struct RateLimiterPeekTests {
    @Test func peekingTakesNothingAndSaysWhatConsumeWould() {
        let clock = ManualClock()
        let limiter = RateLimiter(now: { clock.now() })
        let rule = RateLimitRule(name: "auth_failures", limit: 2, periodSeconds: 60)
        #expect(limiter.peek(rule, key: "ip").allowed)
        #expect(limiter.peek(rule, key: "ip").remaining == 2)
        _ = limiter.consume(rule, key: "ip")
        _ = limiter.consume(rule, key: "ip")
        let refused = limiter.peek(rule, key: "ip")
        #expect(!refused.allowed)
        #expect(refused.retryAfterSeconds == 30)
        clock.advance(30)
        #expect(limiter.peek(rule, key: "ip").allowed)
        #expect(limiter.consume(rule, key: "ip").allowed)
    }
}
