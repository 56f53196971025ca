extension Doctor {
    /// Below this many connections in total, a few clients at their per-IP cap fill the server.
    static let clientsThatMayFillTheServer = 4

    /// The connection caps and the descriptor limit they come from. `serve` raises the soft limit
    /// to the hard one at start, so the hard limit is the one that counts.
    public func connectionFindings(_ limit: DescriptorLimit = .current()) -> [Finding] {
        let caps = ConnectionCaps.resolve(configuration, descriptorLimit: limit.hard)
        let summary = "at most \(caps.total) open connections, \(caps.perClient) per client IP; descriptor limit \(limit.hard)"
        if caps.totalWasLowered, let asked = configuration.maxConnections {
            return [Finding(
                severity: .warn, check: "connections",
                message: "CONCLAVE_MAX_CONNECTIONS=\(asked) needs more descriptors than the limit of \(limit.hard) leaves; \(summary). Raise LimitNOFILE (ulimit -n)"
            )]
        }
        if caps.total < caps.perClient * Self.clientsThatMayFillTheServer {
            return [Finding(
                severity: .warn, check: "connections",
                message: "\(summary): \(Self.clientsThatMayFillTheServer) clients could take every connection. Raise LimitNOFILE (ulimit -n, e.g. 65536)"
            )]
        }
        return [Finding(severity: .ok, check: "connections", message: summary)]
    }
}
