import Synchronization

/// A monotonically increasing counter shared across tasks.
final class AtomicCounter: Sendable {
    private let value = Atomic<UInt64>(0)

    func increment() -> UInt64 {
        value.wrappingAdd(1, ordering: .relaxed).oldValue
    }
}
