import Foundation
import Hummingbird

/// The MCP spec's defence against DNS rebinding for `POST /mcp`: a browser's `Origin` must be
/// this server's own or one CONCLAVE_CORS_ORIGINS allows (the rule the WebSocket upgrade
/// applies), and the `Host` must name this server: an IP literal, `localhost`, the host the
/// server listens on, or CONCLAVE_PUBLIC_URL's host. A rebound name (`evil.example` resolving
/// to this server) matches none, so a page on it is refused even though its Origin and Host agree.
struct MCPRequestGuard {
    let configuration: ConclaveConfiguration

    func check(_ request: Request) throws {
        if let origin = request.headers[.origin] {
            let allowed = Set(configuration.corsOrigins)
            guard allowed.contains("*") || allowed.contains(origin) || ServerOrigin(configuration: configuration).matches(origin, request: request)
            else { throw Problem.forbidden("This origin may not use the MCP endpoint.") }
        }
        if let authority = request.head.authority, !hostIsThisServer(Self.host(of: authority)) {
            throw Problem.forbidden("The Host header does not name this server; set CONCLAVE_PUBLIC_URL to serve MCP under a domain name.")
        }
    }

    func hostIsThisServer(_ host: String) -> Bool {
        if host == "localhost" || host.hasPrefix("[") || host.allSatisfy({ $0 == "." || $0.isASCII && $0.isNumber }) { return true }
        if host == configuration.host.lowercased() { return true }
        if let publicHost = URLComponents(string: configuration.publicURL)?.host?.lowercased(), host == publicHost { return true }
        return false
    }

    /// The authority's host, lowercased, without its port (an IPv6 literal keeps its brackets).
    static func host(of authority: String) -> String {
        let lowered = authority.lowercased()
        if lowered.hasPrefix("["), let end = lowered.firstIndex(of: "]") { return String(lowered[...end]) }
        return String(lowered.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
    }
}
