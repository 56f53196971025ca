import ConclaveCore
import ConclaveSecurity
import Foundation

/// The position of a stream across the principal's workspaces, as one opaque string:
/// `c1.` + base64url("ws_A=12;ws_B=5"). Each event a stream delivers carries the cursor just after it.
struct StreamCursor: Sendable, Equatable {
    var positions: [String: Int64]

    var encoded: String {
        let body = positions.keys.sorted().map { "\($0)=\(positions[$0]!)" }.joined(separator: ";")
        return "c1." + Base64URL.encode(Data(body.utf8))
    }

    static func decode(_ text: String) -> StreamCursor? {
        guard text.utf8.count <= 8192, text.hasPrefix("c1."),
            let data = Base64URL.decode(text.dropFirst(3)), let body = String(data: data, encoding: .utf8)
        else { return nil }
        var positions: [String: Int64] = [:]
        for item in body.split(separator: ";") {
            let parts = item.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, Identifier.isWellFormed(parts[0], kind: .workspace), let seq = Int64(parts[1]), seq >= 0 else { return nil }
            positions[String(parts[0])] = seq
        }
        return StreamCursor(positions: positions)
    }
}
