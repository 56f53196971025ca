import NIOCore

/// Decides the client IP: the socket peer, unless the peer is a trusted proxy, in which case the
/// right-most X-Forwarded-For address that is not itself a trusted proxy. A client can prepend
/// anything to X-Forwarded-For, so only entries added by trusted hops are believed.
struct ClientAddressResolver: Sendable {
    let trustedProxies: [CIDRBlock]

    func clientIP(peer: SocketAddress?, forwardedFor: [String]) -> String {
        let peerIP = peer?.ipAddress ?? "unknown"
        guard !trustedProxies.isEmpty, isTrusted(peerIP), !forwardedFor.isEmpty else { return peerIP }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        for hop in hops.reversed() {
            guard CIDRBlock.parseAddress(hop) != nil else { return peerIP }
            if !isTrusted(hop) { return hop }
        }
        return hops.first ?? peerIP
    }

    func isTrusted(_ ip: String) -> Bool {
        trustedProxies.contains { $0.contains(ip) }
    }
}

extension Substring {
    func trimmingCharacters(in set: Set<Character>) -> String {
        var slice = self
        while let first = slice.first, set.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, set.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}

extension Set where Element == Character {
    static let whitespaces: Set<Character> = [" ", "\t"]
}
