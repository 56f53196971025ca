import ConclaveCore
import ConclaveStore
import Foundation
import Hummingbird

/// Agents of a workspace: create (owned by the creator), list, read, update and pause/resume,
/// delete (revokes every key). Managed by their creator or by admins.
struct AgentRoutes {
    let dependencies: ServerDependencies

    struct CreateRequest: Decodable {
        let name: String
        let description: String?
    }

    struct UpdateRequest: Decodable {
        let name: String?
        let description: String?
        let status: String?
    }

    func register(on router: Router<AppRequestContext>) {
        let readers = router.group(context: AuthenticatedRequestContext.self)
        let people = router.group(context: SessionRequestContext.self)
        people.post("/api/v1/workspaces/{ws}/agents") { request, context in try await create(request, context) }
        readers.get("/api/v1/workspaces/{ws}/agents") { request, context in try await list(request, context) }
        readers.get("/api/v1/workspaces/{ws}/agents/{agent}") { _, context in try await show(context) }
        people.patch("/api/v1/workspaces/{ws}/agents/{agent}") { request, context in try await update(request, context) }
        people.delete("/api/v1/workspaces/{ws}/agents/{agent}") { _, context in try await delete(context) }
    }

    static func json(_ agent: AgentRecord) -> JSONValue {
        [
            "id": .string(agent.id),
            "workspace_id": .string(agent.workspaceID),
            "name": .string(agent.name),
            "description": .string(agent.description),
            "status": .string(agent.status.rawValue),
            "role": "agent",
            "created_by": .string(agent.createdBy),
            "created_at": .string(Clock.rfc3339(milliseconds: agent.createdAt)),
            "last_seen_at": agent.lastSeenAt.map { .string(Clock.rfc3339(milliseconds: $0)) } ?? .null,
        ]
    }

    static func validate(name: String?, description: String?) throws {
        var errors: [FieldError] = []
        if let name, let message = Validation.displayName(name) { errors.append(FieldError(field: "name", message: message)) }
        if let description, description.count > 1000 {
            errors.append(FieldError(field: "description", message: "must be at most 1000 characters"))
        }
        if !errors.isEmpty { throw Problem.validation(errors) }
    }

    /// The agent, if the caller may manage it: its creator (still a member who may create agents)
    /// or an admin/owner. Other members may read but not manage (403); non-members get 404.
    func managedAgent(_ context: SessionRequestContext, permission: Permission) async throws -> (Principal, Role, AgentRecord) {
        let principal = context.principal
        let workspaceID = try context.pathID("ws", kind: .workspace)
        let agentID = try context.pathID("agent", kind: .agent)
        let role = try await dependencies.requireRole(principal, in: workspaceID, for: .membersRead)
        guard let agent = try await dependencies.database.read({ db in try await AgentRepository().find(id: agentID, workspaceID: workspaceID, on: db) })
        else { throw Problem.notFound }
        try Self.requireMayManage(agent, principal: principal, role: role, permission: permission)
        return (principal, role, agent)
    }

    /// `managedAgent`'s decision again, inside the write transaction on the locked role: a
    /// creator or admin demoted while the request was in flight changes nothing after the demotion.
    func recheckManagement(_ agent: AgentRecord, principal: Principal, permission: Permission, on db: DatabaseSession) async throws {
        let role = try await dependencies.requireRole(principal, in: agent.workspaceID, for: .membersRead, on: db)
        try Self.requireMayManage(agent, principal: principal, role: role, permission: permission)
    }

    static func requireMayManage(_ agent: AgentRecord, principal: Principal, role: Role, permission: Permission) throws {
        let isCreator = agent.createdBy == principal.id && PermissionTable.allows(role, .agentsCreate)
        guard isCreator || PermissionTable.allows(role, permission) else {
            throw Problem.forbidden("Only the agent's creator or an admin may do this.")
        }
    }

    func create(_ request: Request, _ context: SessionRequestContext) async throws -> Response {
        let principal = context.principal
        let workspaceID = try context.pathID("ws", kind: .workspace)
        _ = try await dependencies.requireRole(principal, in: workspaceID, for: .agentsCreate)
        let body = try await request.decodeJSON(as: CreateRequest.self, context: context)
        try Self.validate(name: body.name, description: body.description)
        let clientIP = context.clientIP
        let limits = (perCreator: dependencies.configuration.maxAgentsPerCreator, perWorkspace: dependencies.configuration.maxAgentsPerWorkspace)
        let agent = try await dependencies.database.write { db in
            _ = try await dependencies.requireRole(principal, in: workspaceID, for: .agentsCreate, on: db)
            let counts = try await AgentRepository().counts(workspaceID: workspaceID, creator: principal.id, on: db)
            guard counts.creator < limits.perCreator else {
                throw Problem.conflict("You have created \(limits.perCreator) agents in this workspace, the most one member may; delete one first.")
            }
            guard counts.workspace < limits.perWorkspace else {
                throw Problem.conflict("This workspace holds \(limits.perWorkspace) agents, the most it may; delete one first.")
            }
            let now = Clock.milliseconds()
            let agent = AgentRecord(
                id: Identifier.generate(.agent), workspaceID: workspaceID, userID: nil, name: body.name.trimmingCharacters(in: .whitespaces),
                description: body.description ?? "", status: .active, createdBy: principal.id, createdAt: now, lastSeenAt: nil
            )
            try await AgentRepository().insert(agent, on: db)
            try await WorkspaceRepository().addMember(workspaceID: workspaceID, principalID: agent.id, role: .agent, now: now, on: db)
            try await dependencies.audit(
                AuditEvent(actor: AuditActor(id: principal.id, kind: .human, ip: clientIP), action: "agent.created", target: agent.id, workspaceID: workspaceID),
                on: db
            )
            return agent
        }
        return JSONResponse.make(Self.json(agent), status: .created)
    }

    func list(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = try context.principal(with: .membersRead)
        let workspaceID = try context.pathID("ws", kind: .workspace)
        _ = try await dependencies.requireRole(principal, in: workspaceID, for: .membersRead)
        let page = try Page(request)
        let rows = try await dependencies.database.read { db in
            try await AgentRepository().list(workspaceID: workspaceID, after: page.after, limit: page.limit + 1, on: db)
        }
        let (items, next) = page.finish(rows) { $0.id }
        return JSONResponse.make(Page.response(items.map(Self.json), next: next))
    }

    func show(_ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = try context.principal(with: .membersRead)
        let workspaceID = try context.pathID("ws", kind: .workspace)
        let agentID = try context.pathID("agent", kind: .agent)
        _ = try await dependencies.requireRole(principal, in: workspaceID, for: .membersRead)
        guard let agent = try await dependencies.database.read({ db in try await AgentRepository().find(id: agentID, workspaceID: workspaceID, on: db) })
        else { throw Problem.notFound }
        return JSONResponse.make(Self.json(agent))
    }

    func update(_ request: Request, _ context: SessionRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(as: UpdateRequest.self, context: context)
        let pausing = body.status != nil
        let (principal, _, agent) = try await managedAgent(context, permission: pausing ? .agentsPause : .agentsManage)
        try Self.validate(name: body.name, description: body.description)
        let requestedStatus = try body.status.map { text in
            guard let status = AgentStatus(rawValue: text) else { throw Problem.validation(field: "status", "must be active or paused") }
            return status
        }
        let clientIP = context.clientIP
        let updated = try await dependencies.database.write { db in
            try await recheckManagement(agent, principal: principal, permission: pausing ? .agentsPause : .agentsManage, on: db)
            let name = body.name?.trimmingCharacters(in: .whitespaces) ?? agent.name
            let status = requestedStatus ?? agent.status
            try await AgentRepository().update(id: agent.id, name: name, description: body.description ?? agent.description, status: status,
                                               now: Clock.milliseconds(), on: db)
            let action: String
            if status != agent.status {
                action = status == .paused ? "agent.paused" : "agent.resumed"
                if status == .paused {
                    // Its open sockets receive this and are closed.
                    try await EventLog().append(
                        workspaceID: agent.workspaceID, type: .agentPaused, channelID: nil, visibility: .principal(agent.id),
                        data: ["agent_id": .string(agent.id)], now: Clock.milliseconds(), on: db
                    )
                }
            } else {
                action = "agent.updated"
            }
            try await dependencies.audit(
                AuditEvent(actor: AuditActor(id: principal.id, kind: .human, ip: clientIP), action: action, target: agent.id,
                           workspaceID: agent.workspaceID),
                on: db
            )
            guard let updated = try await AgentRepository().find(id: agent.id, on: db) else { throw Problem.notFound }
            return updated
        }
        // Caches first: a stream woken by the agent.paused event re-checks its key and must not
        // find the cached, unpaused one (a long poll would deliver the event with 200, not 423).
        if updated.status != agent.status { dependencies.credentials.credentialsChanged() }
        dependencies.events.published(workspaceID: agent.workspaceID)
        return JSONResponse.make(Self.json(updated))
    }

    func delete(_ context: SessionRequestContext) async throws -> Response {
        let (principal, _, agent) = try await managedAgent(context, permission: .agentsManage)
        let clientIP = context.clientIP
        try await dependencies.database.write { db in
            try await recheckManagement(agent, principal: principal, permission: .agentsManage, on: db)
            let now = Clock.milliseconds()
            let revoked = try await APIKeyRepository().revokeAll(ownerID: agent.id, now: now, on: db)
            try await ChannelRepository().removeMemberships(principalID: agent.id, workspaceID: agent.workspaceID, on: db)
            try await WorkspaceRepository().removeMember(agent.id, from: agent.workspaceID, on: db)
            try await AgentRepository().delete(id: agent.id, on: db)
            try await dependencies.audit(
                AuditEvent(actor: AuditActor(id: principal.id, kind: .human, ip: clientIP), action: "agent.deleted", target: agent.id,
                           workspaceID: agent.workspaceID, details: ["keys_revoked": .int(Int64(revoked))]),
                on: db
            )
        }
        dependencies.credentials.credentialsChanged()
        return Response(status: .noContent)
    }
}
