import Hummingbird
import HummingbirdWebSocket

/// A WebSocket that echoes every message, served only with CONCLAVE_TEST_WS_ECHO=true so an
/// independent conformance suite (Autobahn's cases via kosoku) can exercise the same WebSocket
/// stack the real-time API runs on. `doctor` treats it as fatal, so production never serves it.
struct WebSocketEchoRoute {
    static let path = "/test/ws-echo"
    /// Largest reassembled message echoed back; bigger ones are closed with 1009 (message too big).
    static let maxMessageSize = 1 << 20

    func register(on router: Router<AppRequestContext>) {
        router.ws(RouterPath(stringLiteral: Self.path)) { inbound, outbound, _ in
            for try await message in inbound.messages(maxSize: Self.maxMessageSize) {
                switch message {
                case .text(let text): try await outbound.write(.text(text))
                case .binary(let buffer): try await outbound.write(.binary(buffer))
                }
            }
        }
    }
}
