import Synchronization

/// Counts open sockets per human session and per agent, to enforce the contract's caps.
final class ConnectionRegistry: Sendable {
    let counts = Mutex<[String: Int]>([:])

    func acquire(_ key: String, limit: Int) -> Bool {
        counts.withLock { counts in
            let current = counts[key, default: 0]
            guard current < limit else { return false }
            counts[key] = current + 1
            return true
        }
    }

    func release(_ key: String) {
        counts.withLock { counts in
            let remaining = counts[key, default: 1] - 1
            counts[key] = remaining > 0 ? remaining : nil
        }
    }

    var total: Int { counts.withLock { $0.values.reduce(0, +) } }
}
