import ConclaveCore
import ConclaveStore

/// A person calling with a session (not an API key), as services see it: who, which session,
/// from where. Routes build it from their `SessionRequestContext`.
struct SessionCaller: Sendable {
    let principal: Principal
    let sessionID: String
    let clientIP: String

    init(_ context: SessionRequestContext) {
        self.principal = context.principal
        self.sessionID = context.sessionID
        self.clientIP = context.clientIP
    }

    var actor: AuditActor { AuditActor(id: principal.id, kind: .human, ip: clientIP) }
}
