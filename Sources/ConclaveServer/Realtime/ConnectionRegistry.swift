import Metrics
import Synchronization

/// Counts open sockets (or waiting long polls) per human session and per agent, to enforce the
/// contract's caps, and keeps a gauge (`conclave_open_sockets`) equal to the number open.
final class ConnectionRegistry: Sendable {
    private struct State {
        var counts: [String: Int] = [:]
        var total = 0
    }

    private let state = Mutex(State())
    private let openSockets: Gauge

    init(gauge: String = "conclave_open_sockets") {
        openSockets = Gauge(label: gauge)
    }

    func acquire(_ key: String, limit: Int) -> Bool {
        let total: Int? = state.withLock { state in
            let current = state.counts[key, default: 0]
            guard current < limit else { return nil }
            state.counts[key] = current + 1
            state.total += 1
            return state.total
        }
        guard let total else { return false }
        openSockets.record(total)
        return true
    }

    func release(_ key: String) {
        let total = state.withLock { state in
            guard let current = state.counts[key] else { return state.total }
            state.counts[key] = current > 1 ? current - 1 : nil
            state.total -= 1
            return state.total
        }
        openSockets.record(total)
    }

    var total: Int { state.withLock { $0.total } }
}
