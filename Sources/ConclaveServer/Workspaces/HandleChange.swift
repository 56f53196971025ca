import ConclaveCore
import ConclaveStore

/// Setting a member's handle, the one implementation behind PATCH member and PATCH agent. Who
/// may is the caller's decision (`MemberService`, `AgentService`); this validates the handle,
/// refuses one another member holds, writes it and audits it, inside the caller's transaction.
struct HandleChange {
    let dependencies: ServerDependencies

    /// The handle a request body names, or nil with a field error naming `handle` added to `errors`.
    static func parse(_ text: String, into errors: inout [FieldError]) -> Handle? {
        guard let handle = Handle(text) else {
            errors.append(FieldError(field: "handle", message: Handle.problem(with: text) ?? "is not a handle"))
            return nil
        }
        return handle
    }

    /// Gives `handle` to `memberID`; 409 when another member of the workspace holds it. Changing
    /// a handle to the one it is changes nothing and audits nothing.
    func apply(
        _ handle: Handle, to memberID: String, in workspaceID: String, by principal: Principal, clientIP: String, on db: DatabaseSession
    ) async throws {
        let handles = HandleRepository()
        try await handles.lock(workspaceID: workspaceID, on: db)
        guard let current = try await handles.handle(of: memberID, in: workspaceID, on: db) else { throw Problem.notFound }
        guard current != handle.value else { return }
        if let holder = try await handles.holders(of: [handle], in: workspaceID, on: db)[handle], holder != memberID {
            throw Problem.conflict("Another member of this workspace has the handle \(handle).")
        }
        try await handles.set(handle, of: memberID, in: workspaceID, on: db)
        // Ids only, as in every audit entry: the chain cannot be edited, and a handle is made from a name.
        let actor = AuditActor(id: principal.id, kind: AuditActor.Kind(principal.kind), ip: clientIP)
        let own: JSONValue = .bool(memberID == principal.id)
        try await dependencies.audit(
            AuditEvent(actor: actor, action: "member.handle_changed", target: memberID, workspaceID: workspaceID, details: ["own": own]), on: db
        )
    }
}
