import ConclaveCore
import ConclaveSecurity
import Foundation

/// The position of a stream across the principal's workspaces, as one opaque string:
/// `c1.` + base64url("ws_A=12;ws_B=5") (`StreamCursorCodec`). Each event a stream delivers
/// carries the cursor just after it.
struct StreamCursor: Sendable, Equatable {
    var positions: [String: Int64]

    var encoded: String {
        StreamCursorCodec.encode(positions, base64URL: { Base64URL.encode($0) })
    }

    static func decode(_ text: String) -> StreamCursor? {
        StreamCursorCodec.decode(text, base64URL: { Base64URL.decode($0) }).map { StreamCursor(positions: $0) }
    }
}
