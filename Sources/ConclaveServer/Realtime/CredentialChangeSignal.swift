import Synchronization

/// Something that must re-check a credential when any credential may have been revoked.
/// Implementations must not block: they note it and wake their own task.
protocol CredentialChangeObserver: AnyObject, Sendable {
    func credentialsMayHaveChanged()
}

/// Tells every open stream "some credential may have been revoked".
///
/// Open sockets re-check their own credential when this fires instead of on a timer: 10,000 idle
/// sockets polling once a second cost half a core doing nothing, and still noticed a revocation
/// up to a second late. The signal wakes each socket's writer rather than a waiting task of its
/// own: a task per socket only for this costed a few KiB per socket (its frames, its task-local
/// copy). It fires whenever the authentication caches are invalidated or switched on or off
/// (here, or on another server through NOTIFY).
final class CredentialChangeSignal: Sendable {
    private struct State {
        var nextID: UInt64 = 0
        var observers: [UInt64: any CredentialChangeObserver] = [:]
    }

    private let state = Mutex(State())

    func signal() {
        let observers = state.withLock { Array($0.observers.values) }
        for observer in observers { observer.credentialsMayHaveChanged() }
    }

    /// Starts telling `observer`; pass the result to `stopObserving` when it closes.
    func observe(_ observer: any CredentialChangeObserver) -> UInt64 {
        state.withLock { state in
            state.nextID &+= 1
            state.observers[state.nextID] = observer
            return state.nextID
        }
    }

    func stopObserving(_ id: UInt64) {
        _ = state.withLock { $0.observers.removeValue(forKey: id) }
    }
}
