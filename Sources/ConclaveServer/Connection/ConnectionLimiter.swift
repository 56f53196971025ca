import Metrics
import NIOCore
import Synchronization

/// Counts open connections in total and per client, and refuses one past either cap.
///
/// The client is the socket peer, not X-Forwarded-For: nothing of the request has been read
/// when a connection is admitted. A peer in CONCLAVE_TRUSTED_PROXIES counts against the total
/// only, since every client behind it shares its address. An IPv6 peer counts by its /64, the
/// block one subscriber is usually given, so rotating addresses within it gains nothing.
final class ConnectionLimiter: Sendable {
    enum Refusal: String, Error { case perClient = "per_ip", total }

    /// What an admitted connection gives back when it closes.
    struct Ticket: Sendable {
        let client: String?
    }

    private struct State {
        var total = 0
        var perClient: [String: Int] = [:]
        /// The most open at once since `takePeak` last asked.
        var peak = 0
    }

    let caps: ConnectionCaps
    let trustedProxies: [CIDRBlock]
    private let state = Mutex(State())
    private let open = Gauge(label: "conclave_open_connections")
    private let refusedPerClient = Counter(label: "conclave_connections_refused_total", dimensions: [("reason", Refusal.perClient.rawValue)])
    private let refusedTotal = Counter(label: "conclave_connections_refused_total", dimensions: [("reason", Refusal.total.rawValue)])

    init(caps: ConnectionCaps, trustedProxies: [CIDRBlock]) {
        self.caps = caps
        self.trustedProxies = trustedProxies
        Gauge(label: "conclave_connection_cap", dimensions: [("scope", "total")]).record(caps.total)
        Gauge(label: "conclave_connection_cap", dimensions: [("scope", "per_ip")]).record(caps.perClient)
        Gauge(label: "conclave_descriptor_limit").record(caps.descriptorLimit)
    }

    /// Admits a connection from `peer`, or says which cap refuses it (and counts the refusal).
    func admit(peer: SocketAddress?) -> Result<Ticket, Refusal> {
        let client = clientKey(peer)
        let outcome = state.withLock { state -> Result<Int, Refusal> in
            guard state.total < caps.total else { return .failure(.total) }
            if let client {
                let current = state.perClient[client, default: 0]
                guard current < caps.perClient else { return .failure(.perClient) }
                state.perClient[client] = current + 1
            }
            state.total += 1
            state.peak = max(state.peak, state.total)
            return .success(state.total)
        }
        switch outcome {
        case .success(let total):
            open.record(total)
            return .success(Ticket(client: client))
        case .failure(let refusal):
            (refusal == .total ? refusedTotal : refusedPerClient).increment()
            return .failure(refusal)
        }
    }

    func release(_ ticket: Ticket) {
        let total = state.withLock { state -> Int in
            if let client = ticket.client, let current = state.perClient[client] {
                state.perClient[client] = current > 1 ? current - 1 : nil
            }
            state.total -= 1
            return state.total
        }
        open.record(total)
    }

    var openConnections: Int { state.withLock { $0.total } }

    /// The most connections open at once since the last call, and how many are open now; the
    /// next call measures from now.
    func takePeak() -> (peak: Int, open: Int) {
        state.withLock { state in
            defer { state.peak = state.total }
            return (state.peak, state.total)
        }
    }

    /// The key a peer is counted under; nil for a trusted proxy (or no IP at all).
    func clientKey(_ peer: SocketAddress?) -> String? {
        guard let ip = peer?.ipAddress, !trustedProxies.contains(where: { $0.contains(ip) }) else { return nil }
        guard ip.contains(":"), let bytes = CIDRBlock.parseAddress(ip), !Self.isIPv4Mapped(bytes) else { return ip }
        return bytes.prefix(8).map { String($0, radix: 16) }.joined(separator: ":") + "::/64"
    }

    static func isIPv4Mapped(_ bytes: [UInt8]) -> Bool {
        bytes.prefix(10).allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF
    }
}
