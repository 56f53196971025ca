import HummingbirdWebSocket
import NIOCore
import NIOWebSocket

/// Reads whole client messages from a socket's frames, within bounds the WebSocket library does
/// not keep: it limits a fragmented message's total size but not its number of fragments, and
/// holds every fragment (~130 bytes each, even an empty one) until the last, so a client sending
/// empty continuation frames grew the server's memory without end. Here a message is appended
/// into one buffer as it arrives and may have at most `maxFragments` fragments.
struct InboundMessageReader {
    /// Far above what any client library produces for a 64 KiB message.
    static let maxFragments = 64

    /// A message the server will not take; the socket is closed with `closeCode`.
    enum Violation: Error {
        case tooLarge
        case tooManyFragments
        case protocolError
        case invalidUTF8

        var closeCode: WebSocketErrorCode {
            switch self {
            case .tooLarge, .tooManyFragments: .messageTooLarge
            case .protocolError: .protocolError
            case .invalidUTF8: .dataInconsistentWithMessage
            }
        }

        var reason: String {
            switch self {
            case .tooLarge: "message too big"
            case .tooManyFragments: "message in too many fragments"
            case .protocolError: "continuation frame out of place"
            case .invalidUTF8: "text is not UTF-8"
            }
        }
    }

    private var frames: WebSocketInboundStream.AsyncIterator
    let maxSize: Int

    init(_ inbound: WebSocketInboundStream, maxSize: Int) {
        self.frames = inbound.makeAsyncIterator()
        self.maxSize = maxSize
    }

    /// The next message; nil when the client closed. Control frames are answered by the library.
    mutating func next() async throws -> WebSocketMessage? {
        guard let first = try await frames.next() else { return nil }
        guard first.opcode != .continuation else { throw Violation.protocolError }
        var data = first.data
        guard data.readableBytes <= maxSize else { throw Violation.tooLarge }
        var fragments = 1
        var finished = first.fin
        while !finished {
            guard let frame = try await frames.next() else { return nil }
            guard frame.opcode == .continuation else { throw Violation.protocolError }
            fragments += 1
            guard fragments <= Self.maxFragments else { throw Violation.tooManyFragments }
            var chunk = frame.data
            guard data.readableBytes + chunk.readableBytes <= maxSize else { throw Violation.tooLarge }
            data.writeBuffer(&chunk)
            finished = frame.fin
        }
        switch first.opcode {
        case .text:
            guard let text = String(validating: data.readableBytesView, as: UTF8.self) else { throw Violation.invalidUTF8 }
            return .text(text)
        default:
            return .binary(data)
        }
    }
}
