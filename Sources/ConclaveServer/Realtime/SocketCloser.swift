import HummingbirdWebSocket
import NIOCore
import NIOWebSocket

/// Closes a WebSocket politely when the client is reading, and cuts the connection when it is not.
/// A close frame waits behind everything already queued for a full socket buffer, and the close
/// handshake then waits for a reply that a client which stopped reading never sends, so without
/// the cut-off such a client would keep the connection (and a shutdown) waiting indefinitely.
struct SocketCloser: Sendable {
    static let timeout: Duration = .seconds(2)

    let outbound: WebSocketOutboundWriter
    let channel: any Channel

    func close(_ code: WebSocketErrorCode, reason: String) async {
        let channel = self.channel
        Task {
            try? await Task.sleep(for: Self.timeout)
            // A no-op when the close handshake already finished.
            channel.close(mode: .all, promise: nil)
        }
        try? await outbound.close(code, reason: reason)
    }
}
