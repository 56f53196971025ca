import Foundation
import Hummingbird

/// This server's own origin, which the web console it serves runs in (contract v1.1: allowed
/// with no configuration by the WebSocket Origin check and the browser refresh cookie): the
/// public URL's origin, or this listener's scheme with the host and port the browser itself
/// addressed (its `Host`, which a page on another site cannot make it send).
struct ServerOrigin {
    let configuration: ConclaveConfiguration

    func matches(_ origin: String, request: Request) -> Bool {
        guard let components = URLComponents(string: origin), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host?.lowercased(), components.path.isEmpty,
              components.query == nil, components.fragment == nil
        else { return false }
        let authority = components.port.map { "\(host):\($0)" } ?? host
        if let publicURL = URLComponents(string: configuration.publicURL), let publicHost = publicURL.host?.lowercased() {
            let publicAuthority = publicURL.port.map { "\(publicHost):\($0)" } ?? publicHost
            if scheme == publicURL.scheme?.lowercased(), authority == publicAuthority { return true }
        }
        guard let requested = request.head.authority?.lowercased() else { return false }
        return scheme == (configuration.tlsEnabled ? "https" : "http") && authority == requested
    }
}
