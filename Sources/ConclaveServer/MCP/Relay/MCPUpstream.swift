import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// The server's `POST /mcp`, as `conclave mcp` calls it: one HTTP/1.1 request per JSON-RPC
/// message on its own connection (TLS for https URLs, verified against the system's trust
/// store), on swift-nio, so the binary needs no HTTP client library. The API key goes only into
/// the Authorization header; no error it raises names it.
struct MCPUpstream: Sendable {
    struct Answer: Sendable {
        let status: Int
        let body: Data
    }

    enum Failure: Error, CustomStringConvertible {
        case unreachable(String)
        case timedOut
        case closedEarly
        case tooLarge

        var description: String {
            switch self {
            case .unreachable(let target): "cannot reach the Conclave server at \(target)"
            case .timedOut: "the Conclave server did not answer in time"
            case .closedEarly: "the Conclave server closed the connection before answering"
            case .tooLarge: "the Conclave server's answer is too large"
            }
        }
    }

    /// Longer than the longest answer the server gives on purpose (`wait_for_mentions`, 60 s).
    static let answerTimeout: TimeAmount = .seconds(90)
    static let maxAnswerBytes = 16 * 1024 * 1024

    let host: String
    let port: Int
    let path: String
    let tls: NIOSSLContext?
    let apiKey: String
    /// `scheme://host:port` for messages (never the key).
    let displayTarget: String

    /// From CONCLAVE_URL (`http(s)://host[:port][/prefix]`); nil when it is not such a URL.
    init?(baseURL: String, apiKey: String) {
        guard let components = URLComponents(string: baseURL), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty, components.user == nil,
            components.password == nil, components.query == nil
        else { return nil }
        self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        self.port = components.port ?? (scheme == "https" ? 443 : 80)
        let prefix = components.path.hasSuffix("/") ? String(components.path.dropLast()) : components.path
        self.path = prefix + MCPRoutes.path
        if scheme == "https" {
            guard let context = try? NIOSSLContext(configuration: .makeClientConfiguration()) else { return nil }
            self.tls = context
        } else {
            self.tls = nil
        }
        self.apiKey = apiKey
        self.displayTarget = "\(scheme)://\(host):\(port)"
    }

    func post(_ message: Data) async throws -> Answer {
        let group = MultiThreadedEventLoopGroup.singleton
        let promise = group.next().makePromise(of: Answer.self)
        let tls = self.tls
        let serverName = host.contains(":") || host.allSatisfy({ $0 == "." || $0.isNumber }) ? nil : host
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: serverName))
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(AnswerCollector(promise: promise))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: host, port: port).get()
        } catch {
            promise.fail(Failure.unreachable(displayTarget))
            throw Failure.unreachable(displayTarget)
        }
        let timeout = channel.eventLoop.scheduleTask(in: Self.answerTimeout) {
            promise.fail(Failure.timedOut)
            channel.close(promise: nil)
        }
        defer {
            timeout.cancel()
            channel.close(promise: nil)
        }
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: path)
        head.headers.add(name: "Host", value: port == (tls == nil ? 80 : 443) ? host : "\(host):\(port)")
        head.headers.add(name: "Authorization", value: "Bearer \(apiKey)")
        head.headers.add(name: "Content-Type", value: "application/json")
        head.headers.add(name: "Accept", value: "application/json, text/event-stream")
        head.headers.add(name: "Content-Length", value: String(message.count))
        head.headers.add(name: "Connection", value: "close")
        head.headers.add(name: "User-Agent", value: "conclave-mcp/\(ConclaveCommands.version)")
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: message))), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        return try await promise.futureResult.get()
    }

    /// Collects one response; the promise is completed once (answer, error or closed early).
    final class AnswerCollector: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPClientResponsePart

        let promise: EventLoopPromise<Answer>
        var status = 0
        var body = ByteBuffer()
        var done = false

        init(promise: EventLoopPromise<Answer>) {
            self.promise = promise
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                status = Int(head.status.code)
            case .body(var part):
                guard body.readableBytes + part.readableBytes <= MCPUpstream.maxAnswerBytes else {
                    finish(.failure(Failure.tooLarge))
                    context.close(promise: nil)
                    return
                }
                body.writeBuffer(&part)
            case .end:
                finish(.success(Answer(status: status, body: Data(body.readableBytesView))))
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            finish(.failure(error))
            context.close(promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            finish(.failure(Failure.closedEarly))
        }

        private func finish(_ result: Result<Answer, any Error>) {
            guard !done else { return }
            done = true
            promise.completeWith(result)
        }
    }
}
