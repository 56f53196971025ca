import Synchronization

/// The port a server listens on once its socket is bound, shared by every copy of its
/// configuration: with CONCLAVE_PORT=0 it is known only after start-up.
public final class BoundPort: Sendable {
    private let port = Mutex<Int?>(nil)

    public init() {}

    public var value: Int? { port.withLock { $0 } }

    public func set(_ value: Int) {
        port.withLock { $0 = value }
    }
}
