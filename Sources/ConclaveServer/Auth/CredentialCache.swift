import Synchronization

/// Caches what authentication read from the database (a session row, an API key with its agent's
/// status) so a request costs no query when nothing changed.
///
/// Correctness comes from invalidation, not expiry: every change that can revoke access (logout,
/// session revoke, refresh-token reuse, password change, key revoke, agent pause/delete, workspace
/// delete) calls `invalidateAll()` after its commit, here and, through `pg_notify`, on every other
/// server sharing the database. A generation counter stops a read that raced with an invalidation
/// from storing its stale result. Entries also expire after `ttl` as a second line of defence, and
/// while another server's invalidations cannot be heard (LISTEN connection down), nothing is cached.
final class CredentialCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    struct Entry {
        let value: Value
        let storedAt: ContinuousClock.Instant
    }

    struct State {
        var entries: [Key: Entry] = [:]
        var generation: UInt64 = 0
        var enabled = true
    }

    let ttl: Duration
    let capacity: Int
    let state = Mutex(State())

    init(ttl: Duration = .seconds(30), capacity: Int = 50_000) {
        self.ttl = ttl
        self.capacity = capacity
    }

    var isEnabled: Bool { state.withLock { $0.enabled } }

    /// The generation to pass to `store` after reading the database.
    var generation: UInt64 { state.withLock { $0.generation } }

    func lookup(_ key: Key) -> Value? {
        state.withLock { state in
            guard state.enabled, let entry = state.entries[key] else { return nil }
            guard ContinuousClock.now - entry.storedAt < ttl else {
                state.entries.removeValue(forKey: key)
                return nil
            }
            return entry.value
        }
    }

    func store(_ value: Value, for key: Key, readAt generation: UInt64) {
        state.withLock { state in
            guard state.enabled, state.generation == generation else { return }
            if state.entries.count >= capacity { state.entries.removeAll(keepingCapacity: true) }
            state.entries[key] = Entry(value: value, storedAt: .now)
        }
    }

    func invalidateAll() {
        state.withLock { state in
            state.generation &+= 1
            state.entries.removeAll(keepingCapacity: true)
        }
    }

    /// Turns caching off (and clears) while invalidations from other servers may be missed.
    func setEnabled(_ enabled: Bool) {
        state.withLock { state in
            state.generation &+= 1
            state.entries.removeAll(keepingCapacity: true)
            state.enabled = enabled
        }
    }
}
