import ConclaveCore
import ConclaveStore
import Hummingbird

/// A person's own sessions: list them, end one.
struct SessionRoutes {
    let dependencies: ServerDependencies

    func register(on router: Router<AppRequestContext>) {
        let router = router.group(context: SessionRequestContext.self)
        router.get("/api/v1/auth/sessions") { _, context in try await list(context) }
        router.delete("/api/v1/auth/sessions/{session}") { _, context in try await revoke(context) }
    }

    func list(_ context: SessionRequestContext) async throws -> Response {
        let (principal, currentSession) = (context.principal, context.sessionID)
        let sessions = try await dependencies.database.read { db in
            try await SessionRepository().active(userID: principal.id, now: Clock.milliseconds(), on: db)
        }
        let items: [JSONValue] = sessions.map { session in
            [
                "id": .string(session.id),
                "created_at": .string(Clock.rfc3339(milliseconds: session.createdAt)),
                "last_used_at": .string(Clock.rfc3339(milliseconds: session.lastUsedAt)),
                "expires_at": .string(Clock.rfc3339(milliseconds: session.expiresAt)),
                "ip": session.ip.map(JSONValue.string) ?? .null,
                "user_agent": session.userAgent.map(JSONValue.string) ?? .null,
                "current": .bool(session.id == currentSession),
            ]
        }
        return JSONResponse.make(Page.response(items, next: .null))
    }

    func revoke(_ context: SessionRequestContext) async throws -> Response {
        let principal = context.principal
        let sessionID = try context.pathID("session", kind: .session)
        let clientIP = context.clientIP
        try await dependencies.database.write { db in
            let sessions = SessionRepository()
            guard let session = try await sessions.find(id: sessionID, on: db), session.userID == principal.id,
                session.revokedAt == nil
            else { throw Problem.notFound }
            try await sessions.revoke(id: sessionID, reason: "revoked_by_user", now: Clock.milliseconds(), on: db)
            try await dependencies.audit(
                AuditEvent(
                    actor: AuditActor(id: principal.id, kind: .human, ip: clientIP),
                    action: "auth.session.revoked",
                    target: principal.id,
                    details: ["session_id": .string(sessionID)]
                ),
                on: db
            )
        }
        dependencies.credentials.credentialsChanged()
        return Response(status: .noContent)
    }
}
