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
    var verifier: CredentialVerifier { CredentialVerifier(authenticator: authenticator, caches: dependencies.credentials) }
    /// Waiting long polls, per session or agent.
    let polls = ConnectionRegistry(gauge: "conclave_open_long_polls")

    /// The upgrade route, on the WebSocket router. Browsers send Origin: it must be this server's
    /// own (the console it serves) or allowed by CONCLAVE_CORS_ORIGINS (cross-site WebSocket
    /// hijacking); clients without Origin are not browsers.
    func registerWebSocket(on router: Router<AppRequestContext>) {
        let allowedOrigins = Set(dependencies.configuration.corsOrigins)
        let ownOrigin = ServerOrigin(configuration: dependencies.configuration)
        let connection = RealtimeConnection(
            dependencies: dependencies, authenticator: authenticator, hub: dependencies.hub, registry: registry, verifier: verifier
        )
        router.ws(
            "/api/v1/ws",
            shouldUpgrade: { request, _ in
                if let origin = request.headers[.origin], !allowedOrigins.contains("*"), !allowedOrigins.contains(origin),
                   !ownOrigin.matches(origin, request: request) {
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
        router.group(context: AuthenticatedRequestContext.self).get("/api/v1/events") { request, context in try await poll(request, context) }
    }

    func poll(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = context.principal
        let query = request.uri.queryParameters
        var wait = 25
        if let text = query.get("wait") {
            guard let value = Int(text), (0...Self.maxWaitSeconds).contains(value) else {
                throw Problem.validation(field: "wait", "must be an integer from 0 to \(Self.maxWaitSeconds)")
            }
            wait = value
        }
        let mentionsOnly: Bool
        switch query.get("mentions_only") {
        case nil, "false": mentionsOnly = false
        case "true": mentionsOnly = true
        // `1` or `True` silently meaning false would flood an agent that asked for quiet.
        default: throw Problem.validation(field: "mentions_only", "must be true or false")
        }
        var resume: StreamCursor?
        if let text = query.get("after"), !text.isEmpty {
            guard let cursor = StreamCursor.decode(text) else { throw Problem.validation(field: "after", "is not a cursor from this server") }
            resume = cursor
        }
        let check = CredentialCheck(token: BearerToken.from(request) ?? "", clientIP: context.clientIP, generation: context.credentialGeneration)
        let (events, cursor) = try await collectEvents(for: principal, check: check, resume: resume, mentionsOnly: mentionsOnly, wait: wait)
        return JSONResponse.make(["events": .array(events), "cursor": .string(cursor)])
    }

    /// One long poll of the event stream: the events after `resume` (or from now), waiting up
    /// to `wait` seconds for the first, and the cursor to continue from. The one implementation
    /// behind `GET /api/v1/events` and MCP's `wait_for_mentions`: the same caps, visibility,
    /// mention filter and credential re-checks.
    func collectEvents(
        for principal: Principal, check: CredentialCheck, resume: StreamCursor?, mentionsOnly: Bool, wait: Int
    ) async throws -> (events: [JSONValue], cursor: String) {
        // A waiting poll holds a connection and a stream: capped like sockets, per session or agent.
        let capKey = principal.sessionID ?? principal.id
        let configuration = dependencies.configuration
        guard polls.acquire(capKey, limit: principal.kind == .agent ? configuration.socketsPerAgent : configuration.socketsPerSession) else {
            throw Problem(
                status: 429, title: "Too Many Requests", detail: "Too many long polls are open for this session or agent.",
                headers: ["Retry-After": "1"]
            )
        }
        defer { polls.release(capKey) }
        // The poll stops at a credential change exactly as a socket does: woken by the signal,
        // and checked again before anything is delivered.
        let session = StreamSession(principal: principal, hub: dependencies.hub, maxQueued: 4 * Self.maxEventsPerPoll, mentionsOnly: mentionsOnly)
        defer { session.finish() }
        let changes = dependencies.credentials.changes
        let observation = changes.observe(session)
        defer { changes.stopObserving(observation) }
        let start: StreamCursor
        do {
            start = try await session.start(resume: resume)
        } catch StreamSession.StartError.resumeFailed {
            throw Problem(status: 410, title: "Gone", detail: "The cursor is too old or unknown; refetch with the REST API and start again without 'after'.")
        }
        try await session.replayPending(stopAt: Self.maxEventsPerPoll)
        var frames = session.takeQueued(max: Self.maxEventsPerPoll)
        if frames.isEmpty, wait > 0 {
            frames = await waitForEvents(session, check: check, seconds: wait)
        }
        try await requireStanding(check)
        var events: [JSONValue] = []
        var cursor = frames.isEmpty ? session.cursor.encoded : start.encoded
        for frame in frames {
            if case .event(let json, _) = frame {
                events.append(json)
                if let eventCursor = json["cursor"]?.stringValue { cursor = eventCursor }
            }
        }
        return (events, cursor)
    }

    /// Waits up to `seconds` for events. A credential change wakes the wait: the poll's own
    /// credential is checked, and the wait ends at once if it no longer stands.
    func waitForEvents(_ session: StreamSession, check: CredentialCheck, seconds: Int) async -> [StreamSession.Frame] {
        let verifier = self.verifier
        return await withTaskGroup(of: [StreamSession.Frame]?.self) { group in
            group.addTask {
                while true {
                    let frames = await session.next(max: Self.maxEventsPerPoll)
                    let events = frames.filter { if case .credentialCheck = $0 { false } else { true } }
                    if !events.isEmpty || frames.isEmpty { return events }
                    if await verifier.standing(of: check) != .active { return [] }
                }
            }
            group.addTask {
                // A shutdown answers waiting polls at once (with their cursor) instead of holding it up.
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(seconds)) }
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            session.finish()
            return first ?? []
        }
    }

    /// Nothing is delivered on a credential that no longer stands: 401 once it is revoked (or
    /// the session logged out), 423 while its agent is paused, as the next REST request would get.
    func requireStanding(_ check: CredentialCheck) async throws {
        switch await verifier.standing(of: check) {
        case .active: return
        case .paused: throw Problem(status: 423, title: "Locked", detail: "This agent is paused; an admin can resume it.")
        case .revoked: throw Problem.unauthorized("The credentials were revoked while the poll waited.")
        case .unverifiable: throw Problem.unavailable
        }
    }
}
