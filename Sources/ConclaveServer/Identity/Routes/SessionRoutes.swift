import ConclaveCore
import ConclaveStore
import Hummingbird

/// A person's own sessions: list them, end one (`SessionService`).
struct SessionRoutes {
    let dependencies: ServerDependencies

    var service: SessionService { SessionService(dependencies: dependencies) }

    func register(on router: Router<AppRequestContext>) {
        let router = router.group(context: SessionRequestContext.self)
        router.get("/api/v1/auth/sessions") { _, context in try await list(context) }
        router.delete("/api/v1/auth/sessions/{session}") { _, context in try await revoke(context) }
    }

    func list(_ context: SessionRequestContext) async throws -> Response {
        let sessions = try await service.list(SessionCaller(context))
        let items = sessions.map { Self.json($0, current: context.sessionID) }
        return JSONResponse.make(Page.response(items, next: .null))
    }

    func revoke(_ context: SessionRequestContext) async throws -> Response {
        let sessionID = try context.pathID("session", kind: .session)
        try await service.revoke(sessionID, caller: SessionCaller(context))
        return Response(status: .noContent)
    }

    static func json(_ session: SessionRecord, current: String) -> JSONValue {
        [
            "id": .string(session.id),
            "created_at": .string(Clock.rfc3339(milliseconds: session.createdAt)),
            "last_used_at": .string(Clock.rfc3339(milliseconds: session.lastUsedAt)),
            "expires_at": .string(Clock.rfc3339(milliseconds: session.expiresAt)),
            "ip": session.ip.map(JSONValue.string) ?? .null,
            "user_agent": session.userAgent.map(JSONValue.string) ?? .null,
            "current": .bool(session.id == current),
        ]
    }
}
