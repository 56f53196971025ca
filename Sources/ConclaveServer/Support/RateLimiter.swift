import ConclaveCore
import Synchronization

/// What one rate-limit check decided, in the terms of the IETF RateLimit headers.
public struct RateLimitStatus: Sendable, Equatable {
    public var allowed: Bool
    public var limit: Int
    public var remaining: Int
    /// Seconds until the bucket is full again.
    public var resetSeconds: Int
    /// Seconds until the next request would be allowed (only meaningful when refused).
    public var retryAfterSeconds: Int
}

/// Token buckets keyed by limit name + key (client IP, principal or account).
///
/// Memory is bounded: each shard holds at most `maxKeysPerShard` buckets. When a shard is full it
/// first drops buckets that have refilled completely (they carry no state a new bucket would not),
/// then the fullest ones.
public final class RateLimiter: Sendable {
    struct Bucket {
        var tokens: Double
        var updated: Double
        let rate: Double
        let capacity: Double

        func fill(at now: Double) -> Double { min(1, (tokens + (now - updated) * rate) / capacity) }
        func isFull(at now: Double) -> Bool { fill(at: now) >= 1 }
    }

    struct ShardState {
        var buckets: [String: Bucket] = [:]
    }

    final class Shard: Sendable {
        let state = Mutex(ShardState())
    }

    let shards: [Shard]
    let maxKeysPerShard: Int
    let now: @Sendable () -> Double

    public init(
        shardCount: Int = 16,
        maxKeysPerShard: Int = 8192,
        now: @escaping @Sendable () -> Double = { RateLimiter.monotonicSeconds() }
    ) {
        self.shards = (0..<shardCount).map { _ in Shard() }
        self.maxKeysPerShard = maxKeysPerShard
        self.now = now
    }

    static let origin = ContinuousClock.now

    public static func monotonicSeconds() -> Double {
        let components = (ContinuousClock.now - origin).components
        return Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// Takes `cost` tokens from the bucket for (`rule`, `key`) if it has them.
    public func consume(_ rule: RateLimitRule, key: String, cost: Double = 1) -> RateLimitStatus {
        let (shard, bucketKey) = bucket(rule, key)
        let capacity = Double(rule.burst)
        let rate = rule.refillPerSecond
        let current = now()
        return shard.state.withLock { shard in
            var bucket = shard.buckets[bucketKey] ?? Bucket(tokens: capacity, updated: current, rate: rate, capacity: capacity)
            bucket.tokens = min(capacity, bucket.tokens + max(0, current - bucket.updated) * rate)
            bucket.updated = current
            let allowed = bucket.tokens >= cost
            if allowed { bucket.tokens -= cost }
            if shard.buckets[bucketKey] == nil, shard.buckets.count >= maxKeysPerShard {
                Self.evict(&shard, now: current, keep: maxKeysPerShard * 3 / 4)
            }
            shard.buckets[bucketKey] = bucket
            return Self.status(allowed: allowed, tokens: bucket.tokens, cost: cost, rule: rule)
        }
    }

    /// What `consume` would decide for one token, without taking it.
    public func peek(_ rule: RateLimitRule, key: String) -> RateLimitStatus {
        let (shard, bucketKey) = bucket(rule, key)
        let capacity = Double(rule.burst)
        let rate = rule.refillPerSecond
        let current = now()
        let tokens = shard.state.withLock { shard -> Double in
            guard let bucket = shard.buckets[bucketKey] else { return capacity }
            return min(capacity, bucket.tokens + max(0, current - bucket.updated) * rate)
        }
        return Self.status(allowed: tokens >= 1, tokens: tokens, cost: 1, rule: rule)
    }

    /// The shard holding (`rule`, `key`) and the bucket's key in it.
    private func bucket(_ rule: RateLimitRule, _ key: String) -> (Shard, String) {
        let bucketKey = rule.name + "|" + key
        return (shards[Int(UInt(bitPattern: bucketKey.hashValue) % UInt(shards.count))], bucketKey)
    }

    /// A decision in RateLimit-header terms, from the tokens left after it.
    static func status(allowed: Bool, tokens: Double, cost: Double, rule: RateLimitRule) -> RateLimitStatus {
        let rate = rule.refillPerSecond
        return RateLimitStatus(
            allowed: allowed,
            limit: rule.burst,
            remaining: Int(tokens.rounded(.down)),
            resetSeconds: Int(((Double(rule.burst) - tokens) / rate).rounded(.up)),
            retryAfterSeconds: allowed ? 0 : max(1, Int(((cost - tokens) / rate).rounded(.up)))
        )
    }

    /// Gives back tokens (a successful login does not count against the next one).
    public func reset(_ rule: RateLimitRule, key: String) {
        let (shard, bucketKey) = bucket(rule, key)
        _ = shard.state.withLock { $0.buckets.removeValue(forKey: bucketKey) }
    }

    static func evict(_ shard: inout ShardState, now: Double, keep: Int) {
        shard.buckets = shard.buckets.filter { !$0.value.isFull(at: now) }
        let overflow = shard.buckets.count - keep
        if overflow > 0 {
            // Drop the buckets closest to full: they carry the least state. An exhausted bucket (a
            // client being limited) is the last to go, so a flood of new keys cannot reset it.
            let fullest = shard.buckets.sorted { $0.value.fill(at: now) > $1.value.fill(at: now) }.prefix(overflow).map(\.key)
            for key in fullest { shard.buckets.removeValue(forKey: key) }
        }
    }

    public var trackedKeys: Int {
        shards.reduce(0) { total, shard in total + shard.state.withLock { $0.buckets.count } }
    }
}
