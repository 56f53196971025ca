import HummingbirdWebSocket
import NIOCore
import Synchronization

/// Where a connection's `WebSocketHandlerReference` lives, instead of in its request context.
///
/// The router's `ws` route stores the request context inside the context's own reference (a
/// locked box), and nothing ever empties the box: a context holding it strongly forms a cycle
/// that kept every upgraded connection's context, channel and buffers alive after it closed
/// (about 7 KiB per WebSocket, growing with every burst of connections). Here the box is held
/// per channel only until the channel closes, which breaks the cycle.
enum WebSocketHandlerReferences {
    private static let references = Mutex<[ObjectIdentifier: WebSocketHandlerReference<AppRequestContext>]>([:])

    static func reference(for channel: any Channel) -> WebSocketHandlerReference<AppRequestContext> {
        let key = ObjectIdentifier(channel)
        let (reference, created) = references.withLock { table in
            if let existing = table[key] { return (existing, false) }
            let reference = WebSocketHandlerReference<AppRequestContext>()
            table[key] = reference
            return (reference, true)
        }
        if created {
            // The entry keeps the channel alive (through the context in the box), so the
            // identifier cannot be reused before this removes it.
            channel.closeFuture.whenComplete { _ in _ = references.withLock { $0.removeValue(forKey: key) } }
        }
        return reference
    }

    static var count: Int { references.withLock { $0.count } }
}
