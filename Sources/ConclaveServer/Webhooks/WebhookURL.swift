import Foundation

/// A webhook's target as a delivery attempt needs it: scheme, the host to resolve (an IPv6
/// literal without its brackets), port, the request target, and the `Host` header value.
struct WebhookURL: Sendable, Equatable {
    let isTLS: Bool
    let host: String
    let port: Int
    let requestTarget: String
    let hostHeader: String

    /// nil when `text` is not an absolute http(s) URL with a host and without user information or
    /// a fragment, or is longer than 2048 bytes.
    init?(_ text: String) {
        guard text.utf8.count <= 2048, let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", var host = components.host, !host.isEmpty,
            components.user == nil, components.password == nil, components.fragment == nil
        else { return nil }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, host.unicodeScalars.allSatisfy({ $0.isASCII && $0 != " " }) else { return nil }
        isTLS = scheme == "https"
        self.host = host
        let defaultPort = isTLS ? 443 : 80
        guard let port = components.port ?? Optional(defaultPort), (1...65535).contains(port) else { return nil }
        self.port = port
        let path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        requestTarget = components.percentEncodedQuery.map { path + "?" + $0 } ?? path
        let printable = host.contains(":") ? "[\(host)]" : host
        hostHeader = port == defaultPort ? printable : "\(printable):\(port)"
    }

    /// Whether the host is an IP literal (then no TLS server name is sent).
    var isIPLiteral: Bool {
        host.contains(":") || host.split(separator: ".").count == 4 && host.allSatisfy { $0.isNumber || $0 == "." }
    }
}
