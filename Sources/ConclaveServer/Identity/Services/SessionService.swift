import ConclaveCore
import ConclaveStore

/// A person's own sessions: list them, end one.
struct SessionService {
    let dependencies: ServerDependencies

    func list(_ caller: SessionCaller) async throws -> [SessionRecord] {
        try await dependencies.database.read { db in
            try await SessionRepository().active(userID: caller.principal.id, now: Clock.milliseconds(), on: db)
        }
    }

    /// Ends one of the caller's own live sessions; anyone else's, or an ended one, is 404.
    func revoke(_ sessionID: String, caller: SessionCaller) async throws {
        try await dependencies.database.write { db in
            let sessions = SessionRepository()
            guard let session = try await sessions.find(id: sessionID, on: db), session.userID == caller.principal.id,
                session.revokedAt == nil
            else { throw Problem.notFound }
            try await sessions.revoke(id: sessionID, reason: "revoked_by_user", now: Clock.milliseconds(), on: db)
            try await dependencies.audit(
                AuditEvent(
                    actor: caller.actor, action: "auth.session.revoked", target: caller.principal.id,
                    details: ["session_id": .string(sessionID)]
                ),
                on: db
            )
        }
        dependencies.credentials.credentialsChanged()
    }
}
