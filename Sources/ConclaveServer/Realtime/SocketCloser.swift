import HummingbirdWebSocket
import NIOCore
import NIOWebSocket

/// Closes a WebSocket politely when the client is reading, and cuts the connection when it is not.
/// A close frame waits behind everything already queued for a full socket buffer, and the close
/// handshake then waits for a reply that a client which stopped reading never sends, so without
/// the cut-off such a client would keep the connection (and a shutdown) waiting indefinitely.
struct SocketCloser: Sendable {
    static let timeout: Duration = .seconds(2)
    /// A reader that fell behind (4408) may only be stalled: it gets this long to read what is
    /// queued and the close frame behind it, so that it learns why, before the connection is cut.
    static let slowReaderGrace: Duration = .seconds(30)

    let outbound: WebSocketOutboundWriter
    let channel: any Channel

    func close(_ code: WebSocketErrorCode, reason: String, cutAfter: Duration = Self.timeout) async {
        let channel = self.channel
        Task {
            try? await Task.sleep(for: cutAfter)
            // A no-op when the close handshake already finished.
            channel.close(mode: .all, promise: nil)
        }
        try? await outbound.close(code, reason: reason)
    }
}
