import ConclaveCore
import ConclaveStore
import Hummingbird

/// Workspace members: list, change a role, remove (or leave).
struct MemberRoutes {
    let dependencies: ServerDependencies

    struct UpdateRequest: Decodable {
        let role: String
    }

    func register(on router: Router<AppRequestContext>) {
        let router = router.group(context: AuthenticatedRequestContext.self)
        router.get("/api/v1/workspaces/{ws}/members") { request, context in try await list(request, context) }
        router.patch("/api/v1/workspaces/{ws}/members/{member}") { request, context in try await update(request, context) }
        router.delete("/api/v1/workspaces/{ws}/members/{member}") { _, context in try await remove(context) }
    }

    static func json(_ member: WorkspaceRepository.MemberRow) -> JSONValue {
        var body: [String: JSONValue] = [
            "id": .string(member.principalID),
            "kind": .string(member.kind.rawValue),
            "name": .string(member.name),
            "role": .string(member.role.rawValue),
            "joined_at": .string(Clock.rfc3339(milliseconds: member.joinedAt)),
        ]
        if let email = member.email { body["email"] = .string(email) }
        return .object(body)
    }

    func list(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = try context.principal(with: .membersRead)
        let workspaceID = try context.pathID("ws", kind: .workspace)
        _ = try await dependencies.requireRole(principal, in: workspaceID, for: .membersRead)
        let page = try Page(request)
        let rows = try await dependencies.database.read { db in
            try await WorkspaceRepository().members(of: workspaceID, after: page.after, limit: page.limit + 1, on: db)
        }
        let (items, next) = page.finish(rows) { $0.principalID }
        return JSONResponse.make(Page.response(items.map(Self.json), next: next))
    }

    func update(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = context.principal
        let workspaceID = try context.pathID("ws", kind: .workspace)
        let memberID = try context.pathID("member", kinds: [.user, .agent])
        let actorRole = try await dependencies.requireRole(principal, in: workspaceID, for: .membersRead)
        let body = try await request.decodeJSON(as: UpdateRequest.self, context: context)
        guard let newRole = Role(rawValue: body.role), newRole != .agent else {
            throw Problem.validation(field: "role", "must be one of owner, admin, member, viewer")
        }
        try Self.requireManage(actorRole)
        let clientIP = context.clientIP
        let member = try await dependencies.database.write { db in
            let repository = WorkspaceRepository()
            // Every role this decision reads, locked first and read again inside the transaction.
            let locked = try await repository.lockRolesForChange(in: workspaceID, principals: [principal.id, memberID], on: db)
            guard let actorRole = locked.roles[principal.id] else { throw Problem.notFound }
            try Self.requireManage(actorRole)
            guard let currentRole = locked.roles[memberID] else { throw Problem.notFound }
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
            guard let updated = try await repository.memberRow(memberID, in: workspaceID, on: db) else { throw Problem.notFound }
            return updated
        }
        return JSONResponse.make(Self.json(member))
    }

    static func requireManage(_ role: Role) throws {
        guard PermissionTable.allows(role, .membersManage) else {
            throw Problem.forbidden("Your role (\(role.rawValue)) does not allow changing roles.")
        }
    }

    func remove(_ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = context.principal
        let workspaceID = try context.pathID("ws", kind: .workspace)
        let memberID = try context.pathID("member", kinds: [.user, .agent])
        _ = try await dependencies.requireRole(principal, in: workspaceID, for: .membersRead)
        let clientIP = context.clientIP
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
        return Response(status: .noContent)
    }
}
