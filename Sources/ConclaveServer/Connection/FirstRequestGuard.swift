import ConclaveCore
import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// Wraps the HTTP/1.1 + WebSocket-upgrade child channel to cover its first request, which the
/// upgrade negotiation reads before Hummingbird's own HTTP handling exists:
///
/// - a request that is not valid HTTP/1.1 (Transfer-Encoding with Content-Length, a duplicated
///   Content-Length, a malformed header) is answered 400 with `Connection: close` and closed —
///   the negotiation would otherwise neither answer nor close it;
/// - a connection that has not sent a complete request head within `headTimeout` is closed, so an
///   idle or trickling client (slowloris) cannot hold a socket forever.
///
/// Once the first request head has been decoded the watch ends; from then on Hummingbird (HTTP)
/// or the WebSocket layer owns the connection, and Hummingbird's bare 400 for a later malformed
/// request is given the problem body and headers every other response has.
struct FirstRequestGuard<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value
    static var headTimeout: TimeAmount { ConnectionTimeouts.silence }

    let base: Base
    let tlsEnabled: Bool

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let writer = RawResponseWriter(tlsEnabled: tlsEnabled)
            let operations = channel.pipeline.syncOperations
            // The writer sits in front of the HTTP encoder so its bytes go to the socket (or TLS) as they are.
            let encoder = try operations.handler(type: HTTPResponseEncoder.self)
            try operations.addHandler(writer, position: .before(encoder))
            try operations.addHandler(FirstRequestWatcher(writer: writer, timeout: Self.headTimeout))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

/// Sits in front of the HTTP encoder for the connection's whole life. It writes the 400 for a
/// malformed first request straight to the transport; it rewrites Hummingbird's bare 400 for a
/// malformed later request (no body, no headers: recognisable because every response of ours
/// carries a Content-Type) into the same problem document, in its place in the response order;
/// and the first response that passes (an HTTP answer, or a WebSocket upgrade's 101) ends the
/// first-request watch. The WebSocket layer answers an upgrade the router declined with the
/// same bare 400: then the router's own answer (`DeclinedUpgradeMiddleware`) goes out instead.
final class RawResponseWriter: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private var context: ChannelHandlerContext?
    weak var watcher: FirstRequestWatcher?
    let tlsEnabled: Bool
    /// The WebSocket router's answer to the upgrade it declined on this connection, if any.
    var declinedUpgrade: ByteBuffer?
    private static let bareBadRequest = Array("HTTP/1.1 400 ".utf8)

    init(tlsEnabled: Bool) {
        self.tlsEnabled = tlsEnabled
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let buffer = unwrapOutboundIn(data)
        if Self.isBareBadRequest(buffer) {
            let answer = declinedUpgrade ?? badRequest()
            declinedUpgrade = nil
            context.write(wrapOutboundOut(answer), promise: promise)
        } else {
            context.write(data, promise: promise)
        }
        watcher?.finish()
    }

    static func isBareBadRequest(_ buffer: ByteBuffer) -> Bool {
        guard buffer.readableBytes >= bareBadRequest.count,
            buffer.getBytes(at: buffer.readerIndex, length: bareBadRequest.count) == bareBadRequest,
            let text = buffer.getString(at: buffer.readerIndex, length: buffer.readableBytes)
        else { return false }
        return !text.lowercased().contains("content-type:")
    }

    func badRequest() -> ByteBuffer {
        let body = #"{"type":"about:blank","title":"Bad Request","status":400,"detail":"The request is not valid HTTP/1.1."}"#
        var headers: HTTPFields = [.contentType: "application/problem+json"]
        for (name, value) in SecurityHeaders.fields(tlsEnabled: tlsEnabled) {
            headers[name] = value
        }
        headers[.xRequestID] = Identifier.generate(.request)
        headers[.cacheControl] = "no-store"
        return RawResponse.bytes(status: .badRequest, headers: headers, body: ByteBuffer(string: body))
    }

    func badRequestAndClose() {
        guard let context else { return }
        context.writeAndFlush(wrapOutboundOut(badRequest())).whenComplete { _ in
            context.close(promise: nil)
        }
    }
}

/// Watches the pipeline's far end until the first request head arrives or the first response
/// goes out, whichever is first.
final class FirstRequestWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    let writer: RawResponseWriter
    let timeout: TimeAmount
    private var context: ChannelHandlerContext?
    private var deadline: Scheduled<Void>?
    private var done = false

    init(writer: RawResponseWriter, timeout: TimeAmount) {
        self.writer = writer
        self.timeout = timeout
        writer.watcher = self
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
        finish()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !done, error is HTTPParserError {
            done = true
            deadline?.cancel()
            writer.badRequestAndClose()
            return
        }
        context.fireErrorCaught(error)
    }

    func finish() {
        guard !done, let context else { return }
        done = true
        deadline?.cancel()
        try? context.pipeline.syncOperations.removeHandler(context: context)
    }
}
