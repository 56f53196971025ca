/// How many connections the server holds open, in total and per client IP, so that one client
/// (or a flood from many) can never take every file descriptor: past a cap a new connection is
/// closed right after it is accepted, and everyone else is still served.
public struct ConnectionCaps: Sendable, Equatable {
    /// Descriptors never given to client connections: the listener, the database pool (PostgreSQL
    /// connections or SQLite's files), the log, TLS files, the event loops' own.
    static let reserve = 128
    /// The smallest total cap, whatever the descriptor limit says.
    static let minimumTotal = 16

    public let total: Int
    public let perClient: Int
    /// The descriptor limit the caps were derived from.
    public let descriptorLimit: Int
    /// Whether CONCLAVE_MAX_CONNECTIONS asked for more than the descriptors allow (then lowered).
    public let totalWasLowered: Bool

    /// The caps for `configuration` under `descriptorLimit`: the total is CONCLAVE_MAX_CONNECTIONS
    /// if set, else three quarters of the descriptors; either way it leaves `reserve` descriptors
    /// free. The per-client cap is never above the total.
    public static func resolve(_ configuration: ConclaveConfiguration, descriptorLimit: Int) -> ConnectionCaps {
        let usable = max(minimumTotal, descriptorLimit - reserve)
        let wanted = configuration.maxConnections ?? max(minimumTotal, descriptorLimit * 3 / 4)
        let total = min(wanted, usable)
        return ConnectionCaps(
            total: total,
            perClient: min(configuration.maxConnectionsPerIP, total),
            descriptorLimit: descriptorLimit,
            totalWasLowered: wanted > usable
        )
    }
}
