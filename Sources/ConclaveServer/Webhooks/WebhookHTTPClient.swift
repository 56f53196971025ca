import ConclaveCore
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// One webhook POST over HTTP/1.1 to an address already resolved and checked: the connection goes
/// to exactly that address (the pin), with the URL's host as `Host` and TLS server name. Only the
/// response's status line and headers are read; the body is never read, and a redirect is an
/// answer like any other (never followed). 15 seconds in all, connecting included.
struct WebhookHTTPClient: Sendable {
    struct Answer: Sendable, Equatable {
        let status: Int
        /// `Retry-After` in milliseconds, when the receiver sent one in seconds.
        let retryAfterMilliseconds: Int64?
    }

    enum Failure: Error, CustomStringConvertible {
        case timeout
        case connectionClosed

        var description: String {
            switch self {
            case .timeout: "timed out after 15 s"
            case .connectionClosed: "the receiver closed the connection without an answer"
            }
        }
    }

    static let timeout: TimeAmount = .seconds(15)
    static let tlsContext: NIOSSLContext? = try? NIOSSLContext(configuration: .makeClientConfiguration())

    func post(to address: SocketAddress, url: WebhookURL, headers: [(String, String)], body: Data) async throws -> Answer {
        let eventLoop = MultiThreadedEventLoopGroup.singleton.next()
        let promise = eventLoop.makePromise(of: Answer.self)
        let timer = eventLoop.scheduleTask(in: Self.timeout) { promise.fail(Failure.timeout) }
        defer { timer.cancel() }
        let tls = url.isTLS ? Self.tlsContext : nil
        if url.isTLS, tls == nil { throw Failure.connectionClosed }
        let serverName = url.isIPLiteral ? nil : url.host
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(Self.timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: serverName)) }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(AnswerHandler(promise: promise))
                }
            }
        let connecting = bootstrap.connect(to: address)
        // The overall deadline also ends a slow connect.
        promise.futureResult.whenFailure { _ in connecting.whenSuccess { $0.close(promise: nil) } }
        let channel = try await connecting.get()
        defer { channel.close(promise: nil) }
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: url.requestTarget)
        head.headers.add(name: "Host", value: url.hostHeader)
        head.headers.add(name: "User-Agent", value: "Conclave-Webhooks/1")
        head.headers.add(name: "Content-Type", value: "application/json")
        head.headers.add(name: "Content-Length", value: String(body.count))
        head.headers.add(name: "Connection", value: "close")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        return try await promise.futureResult.get()
    }

    /// `Retry-After` as delay-seconds or an HTTP-date (RFC 9110), in milliseconds from now.
    static func retryAfterMilliseconds(_ value: String, now: Date = Date()) -> Int64? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Int64(text) { return max(0, seconds) * 1000 }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        guard let date = formatter.date(from: text) else { return nil }
        return max(0, Int64(date.timeIntervalSince(now) * 1000))
    }

    /// Completes the promise with the response head and closes the connection.
    final class AnswerHandler: ChannelInboundHandler {
        typealias InboundIn = HTTPClientResponsePart
        let promise: EventLoopPromise<Answer>

        init(promise: EventLoopPromise<Answer>) { self.promise = promise }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .head(let head) = unwrapInboundIn(data) else { return }
            let retryAfter = head.headers.first(name: "Retry-After").flatMap { WebhookHTTPClient.retryAfterMilliseconds($0) }
            promise.succeed(Answer(status: Int(head.status.code), retryAfterMilliseconds: retryAfter))
            context.close(promise: nil)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            promise.fail(error)
            context.close(promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            promise.fail(Failure.connectionClosed)
            context.fireChannelInactive()
        }
    }
}
