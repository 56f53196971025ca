import HTTPTypes
import Hummingbird
import NIOCore

/// The WebSocket router's outermost layer: keeps the router's answer to an upgrade it declined.
///
/// The WebSocket layer upgrades only when this router answers 200; anything else (an `Origin`
/// that may not open a socket, an unknown path) it answers with a bare `400` of its own and
/// closes, dropping the router's answer. That answer (status, headers, problem body) is handed
/// here to the connection's `RawResponseWriter`, which writes it in the bare 400's place: a
/// browser refused for its Origin gets the 403 problem the route decided on, with the security
/// headers and request id of its log line.
struct DeclinedUpgradeMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    /// A problem document is a few hundred bytes; a larger body is not kept (the bare 400's
    /// rewrite stands in).
    static let maxBody = 16 * 1024

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let response = try await next(request, context)
        guard response.status != .ok else { return response }
        let collector = BodyCollector(limit: Self.maxBody)
        try await response.body.write(collector)
        if let body = collector.body {
            let answer = RawResponse.bytes(status: response.status, headers: response.headers, body: body)
            let channel = context.channel
            try? await channel.eventLoop.submit {
                try channel.pipeline.syncOperations.handler(type: RawResponseWriter.self).declinedUpgrade = answer
            }.get()
        }
        return Response(status: response.status, headers: response.headers, body: .init(byteBuffer: collector.body ?? ByteBuffer()))
    }
}
