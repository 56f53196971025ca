import Synchronization

/// Wakes everything waiting for "some credential may have been revoked".
///
/// Open sockets re-check their own credential when this fires instead of on a timer: 10,000 idle
/// sockets polling once a second cost half a core doing nothing, and still noticed a revocation
/// up to a second late. It fires whenever the authentication caches are invalidated or switched
/// on or off (here, or on another server through NOTIFY).
final class CredentialChangeSignal: Sendable {
    private struct State {
        var version: UInt64 = 0
        var nextWaiter: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    /// The current version, to pass to `wait(after:)`.
    var version: UInt64 { state.withLock { $0.version } }

    func signal() {
        let waiters = state.withLock { state in
            state.version &+= 1
            defer { state.waiters.removeAll(keepingCapacity: true) }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once the version differs from `version`, or when the task is cancelled.
    func wait(after version: UInt64) async {
        let id = state.withLock { state in
            state.nextWaiter &+= 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    if state.version != version || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }
}
