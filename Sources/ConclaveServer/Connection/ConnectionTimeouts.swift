import NIOCore

/// How long a connection may stay silent before the server closes it.
enum ConnectionTimeouts {
    /// Before its first request head is complete (`FirstRequestGuard`), and idle between requests
    /// of a kept-alive connection: a client that sends nothing holds no descriptor for longer.
    static let silence: TimeAmount = .seconds(30)
    static var keepAliveIdle: TimeAmount { silence }
}
