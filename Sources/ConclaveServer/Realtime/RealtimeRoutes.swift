import ConclaveCore
import ConclaveStore
import Foundation
import HTTPTypes
import Hummingbird
import ServiceLifecycle
import HummingbirdWebSocket
import NIOCore

/// `GET /api/v1/ws` (WebSocket) and `GET /api/v1/events` (the same stream as long-poll JSON).
struct RealtimeRoutes {
    static let maxWaitSeconds = 60
    static let maxEventsPerPoll = 200

    let dependencies: ServerDependencies
    let authenticator: AuthenticationMiddleware
    let registry = ConnectionRegistry()

    /// The upgrade route, on the WebSocket router. Browsers send Origin: it must be allowed by
    /// CONCLAVE_CORS_ORIGINS (cross-site WebSocket hijacking); clients without Origin are not browsers.
    func registerWebSocket(on router: Router<AppRequestContext>) {
        let allowedOrigins = Set(dependencies.configuration.corsOrigins)
        let connection = RealtimeConnection(dependencies: dependencies, authenticator: authenticator, hub: dependencies.hub, registry: registry)
        router.ws(
            "/api/v1/ws",
            shouldUpgrade: { request, _ in
                if let origin = request.headers[.origin], !allowedOrigins.contains("*"), !allowedOrigins.contains(origin) {
                    throw Problem.forbidden("This origin may not open a WebSocket.")
                }
                return .upgrade([:])
            },
            onUpgrade: { inbound, outbound, context in
                try await connection.run(
                    inbound: inbound, outbound: outbound, channel: context.requestContext.channel,
                    clientIP: context.requestContext.clientIP, logger: context.logger
                )
            }
        )
    }

    func register(on router: Router<AppRequestContext>) {
        router.get("/api/v1/ws") { _, _ -> Response in
            throw Problem(status: 426, title: "Upgrade Required", detail: "Open a WebSocket to this URL.", headers: ["Upgrade": "websocket"])
        }
        router.get("/api/v1/events") { request, context in try await poll(request, context) }
    }

    func poll(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let query = request.uri.queryParameters
        var wait = 25
        if let text = query.get("wait") {
            guard let value = Int(text), (0...Self.maxWaitSeconds).contains(value) else {
                throw Problem.validation(field: "wait", "must be an integer from 0 to \(Self.maxWaitSeconds)")
            }
            wait = value
        }
        let mentionsOnly = query.get("mentions_only") == "true"
        var resume: StreamCursor?
        if let text = query.get("after"), !text.isEmpty {
            guard let cursor = StreamCursor.decode(text) else { throw Problem.validation(field: "after", "is not a cursor from this server") }
            resume = cursor
        }
        let session = StreamSession(principal: principal, hub: dependencies.hub, maxQueued: 4 * Self.maxEventsPerPoll, mentionsOnly: mentionsOnly)
        defer { session.finish() }
        let start: StreamCursor
        do {
            start = try await session.start(resume: resume)
        } catch StreamSession.StartError.resumeFailed {
            throw Problem(status: 410, title: "Gone", detail: "The cursor is too old or unknown; refetch with the REST API and start again without 'after'.")
        }
        try await session.replayPending(stopAt: Self.maxEventsPerPoll)
        var frames = session.takeQueued(max: Self.maxEventsPerPoll)
        if frames.isEmpty, wait > 0 {
            let waitSeconds = wait
            frames = await withTaskGroup(of: [StreamSession.Frame]?.self) { group in
                group.addTask { await session.next(max: Self.maxEventsPerPoll) }
                group.addTask {
                    // A shutdown answers waiting polls at once (with their cursor) instead of holding it up.
                    try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(waitSeconds)) }
                    return nil
                }
                let first = await group.next() ?? nil
                group.cancelAll()
                session.finish()
                return first ?? []
            }
        }
        var events: [JSONValue] = []
        var cursor = frames.isEmpty ? session.cursor.encoded : start.encoded
        for frame in frames {
            if case .event(let json, _) = frame {
                events.append(json)
                if let eventCursor = json["cursor"]?.stringValue { cursor = eventCursor }
            }
        }
        return JSONResponse.make(["events": .array(events), "cursor": .string(cursor)])
    }
}
