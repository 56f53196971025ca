import ConclaveCore
import ConclaveStore

/// Workspace members: list, change a role, remove (or leave). Each change locks every role its
/// decision reads and decides again inside its transaction.
struct MemberService {
    let dependencies: ServerDependencies

    struct UpdateRequest: Decodable {
        let role: String?
        let handle: String?

        enum CodingKeys: String, CodingKey { case role, handle }

        /// Absent means unchanged; an explicit null is refused (422 "must not be null"), as the
        /// schema says: null is no role and no handle.
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            role = container.contains(.role) ? try container.decode(String.self, forKey: .role) : nil
            handle = container.contains(.handle) ? try container.decode(String.self, forKey: .handle) : nil
        }
    }

    /// One page of the workspace's members. `page` is read after the role check (404/403 first).
    func list(
        _ principal: Principal, workspaceID: String, page: @autoclosure () throws -> Page
    ) async throws -> (page: [WorkspaceRepository.MemberRow], nextCursor: JSONValue) {
        _ = try await dependencies.requireRole(principal, in: workspaceID, for: .membersRead)
        let page = try page()
        let rows = try await dependencies.database.read { db in
            try await WorkspaceRepository().members(of: workspaceID, after: page.after, limit: page.limit + 1, on: db)
        }
        return page.finish(rows) { $0.principalID }
    }

    /// Changes `memberID`'s role, handle or both in one transaction: when either is refused,
    /// neither changes. `body` is read after the membership check (404 first); what it names is
    /// checked (422) before the caller's right to change it (403).
    func update(
        _ principal: Principal, of memberID: String, in workspaceID: String, clientIP: String,
        body: @autoclosure () async throws -> UpdateRequest
    ) async throws -> WorkspaceRepository.MemberRow {
        let actorRole = try await dependencies.requireRole(principal, in: workspaceID, for: .membersRead)
        let (newRole, newHandle) = try Self.validate(try await body())
        if newRole != nil { try Self.requireManage(actorRole) }
        if newHandle != nil { try Self.requireSession(principal) }
        return try await dependencies.database.write { db in
            let repository = WorkspaceRepository()
            // Every role this decision reads, locked first and read again inside the transaction.
            let locked = try await repository.lockRolesForChange(in: workspaceID, principals: [principal.id, memberID], on: db)
            guard let actorRole = locked.roles[principal.id] else { throw Problem.notFound }
            guard let currentRole = locked.roles[memberID] else { throw Problem.notFound }
            if let newRole {
                try Self.requireManage(actorRole)
                guard RolePolicy.mayChangeRole(actor: actorRole, from: currentRole, to: newRole) else {
                    throw Problem.forbidden("A \(actorRole.rawValue) cannot change a \(currentRole.rawValue) to \(newRole.rawValue).")
                }
                if currentRole == .owner, newRole != .owner, locked.owners <= 1 {
                    throw Problem.conflict("The last owner cannot be demoted; make someone else owner first.")
                }
                if currentRole != newRole {
                    try await repository.setRole(newRole, of: memberID, in: workspaceID, on: db)
                    try await dependencies.audit(
                        AuditEvent(
                            actor: AuditActor(id: principal.id, kind: .human, ip: clientIP),
                            action: "member.role_changed",
                            target: memberID,
                            workspaceID: workspaceID,
                            details: ["from": .string(currentRole.rawValue), "to": .string(newRole.rawValue)]
                        ),
                        on: db
                    )
                }
            }
            if let newHandle {
                try await requireMayChangeHandle(principal, actorRole: actorRole, of: memberID, in: workspaceID, on: db)
                try await HandleChange(dependencies: dependencies).apply(
                    newHandle, to: memberID, in: workspaceID, by: principal, clientIP: clientIP, on: db
                )
            }
            guard let updated = try await repository.memberRow(memberID, in: workspaceID, on: db) else { throw Problem.notFound }
            return updated
        }
    }

    /// The role and handle a body names, each checked; every field error at once.
    static func validate(_ body: UpdateRequest) throws -> (role: Role?, handle: Handle?) {
        var errors: [FieldError] = []
        var role: Role?
        var handle: Handle?
        if let text = body.role {
            role = Role(rawValue: text).flatMap { $0 == .agent ? nil : $0 }
            if role == nil { errors.append(FieldError(field: "role", message: "must be one of owner, admin, member, viewer")) }
        }
        if let text = body.handle { handle = HandleChange.parse(text, into: &errors) }
        if body.role == nil, body.handle == nil {
            errors.append(FieldError(field: "role", message: "give a role, a handle or both"))
        }
        if !errors.isEmpty { throw Problem.validation(errors) }
        return (role, handle)
    }

    /// A handle is changed by a signed-in person: no API key (a human's or an agent's) may.
    /// An agent's handle is changed by whoever manages the agent, as its other settings are.
    static func requireSession(_ principal: Principal) throws {
        guard principal.scopes == nil else {
            throw Problem.forbidden("A handle is changed in a signed-in session, not with an API key.")
        }
    }

    /// Anyone their own; an agent's, whoever may manage the agent (its creator, admins, owners);
    /// another person's, admins and owners.
    func requireMayChangeHandle(
        _ principal: Principal, actorRole: Role, of memberID: String, in workspaceID: String, on db: DatabaseSession
    ) async throws {
        if memberID == principal.id { return }
        if Identifier.isWellFormed(memberID, kind: .agent) {
            guard let agent = try await AgentRepository().find(id: memberID, workspaceID: workspaceID, on: db) else { throw Problem.notFound }
            try AgentService.requireMayManage(agent, principal: principal, role: actorRole, permission: .agentsManage)
            return
        }
        guard PermissionTable.allows(actorRole, .membersManage) else {
            throw Problem.forbidden("Your role (\(actorRole.rawValue)) does not allow changing another member's handle.")
        }
    }

    static func requireManage(_ role: Role) throws {
        guard PermissionTable.allows(role, .membersManage) else {
            throw Problem.forbidden("Your role (\(role.rawValue)) does not allow changing roles.")
        }
    }

    /// Removes `memberID` from the workspace, or, when it is the caller, leaves it.
    func remove(_ principal: Principal, memberID: String, from workspaceID: String, clientIP: String) async throws {
        _ = try await dependencies.requireRole(principal, in: workspaceID, for: .membersRead)
        try await dependencies.database.write { db in
            let repository = WorkspaceRepository()
            let locked = try await repository.lockRolesForChange(in: workspaceID, principals: [principal.id, memberID], on: db)
            guard let actorRole = locked.roles[principal.id] else { throw Problem.notFound }
            guard let targetRole = locked.roles[memberID] else { throw Problem.notFound }
            let leaving = memberID == principal.id
            if !leaving {
                guard PermissionTable.allows(actorRole, .membersManage), RolePolicy.mayRemove(actor: actorRole, target: targetRole) else {
                    throw Problem.forbidden("A \(actorRole.rawValue) cannot remove a \(targetRole.rawValue).")
                }
            }
            if targetRole == .owner, locked.owners <= 1 {
                throw Problem.conflict("The last owner cannot leave; make someone else owner or delete the workspace.")
            }
            try await repository.removeMember(memberID, from: workspaceID, on: db)
            try await ChannelRepository().removeMemberships(principalID: memberID, workspaceID: workspaceID, on: db)
            // Open streams of the removed principal stop receiving this workspace at this point.
            try await EventLog().append(
                workspaceID: workspaceID, type: .memberLeft, channelID: nil, visibility: .workspace,
                data: ["member_id": .string(memberID), "workspace_id": .string(workspaceID)], now: Clock.milliseconds(), on: db
            )
            try await dependencies.audit(
                AuditEvent(
                    actor: AuditActor(id: principal.id, kind: AuditActor.Kind(principal.kind), ip: clientIP),
                    action: leaving ? "member.left" : "member.removed",
                    target: memberID,
                    workspaceID: workspaceID,
                    details: ["role": .string(targetRole.rawValue)]
                ),
                on: db
            )
        }
        dependencies.events.published(workspaceID: workspaceID)
    }
}
