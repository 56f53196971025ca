import ConclaveCore
import ConclaveStore
import Foundation

/// Agents of a workspace: create (owned by the creator), list, read, update and pause/resume,
/// delete (revokes every key). Managed by their creator or by admins (`managedAgent`), which
/// `APIKeyService` asks too.
struct AgentService {
    let dependencies: ServerDependencies

    struct CreateRequest: Decodable {
        let name: String
        let description: String?
    }

    struct UpdateRequest: Decodable {
        let name: String?
        let description: String?
        let status: String?
        let handle: String?
    }

    /// Every field error at once; answers the handle, when one is named.
    @discardableResult
    static func validate(name: String?, description: String?, handle: String? = nil) throws -> Handle? {
        var errors: [FieldError] = []
        if let name, let message = Validation.displayName(name) { errors.append(FieldError(field: "name", message: message)) }
        if let description, description.count > 1000 {
            errors.append(FieldError(field: "description", message: "must be at most 1000 characters"))
        }
        let parsed = handle.flatMap { HandleChange.parse($0, into: &errors) }
        if !errors.isEmpty { throw Problem.validation(errors) }
        return parsed
    }

    /// The agent, if the caller may manage it: its creator (still a member who may create agents)
    /// or an admin/owner. Other members may read but not manage (403); non-members get 404.
    func managedAgent(_ principal: Principal, agentID: String, in workspaceID: String, permission: Permission) async throws -> AgentRecord {
        let role = try await dependencies.requireRole(principal, in: workspaceID, for: .membersRead)
        guard let agent = try await dependencies.database.read({ db in try await AgentRepository().find(id: agentID, workspaceID: workspaceID, on: db) })
        else { throw Problem.notFound }
        try Self.requireMayManage(agent, principal: principal, role: role, permission: permission)
        return agent
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

    /// A new agent owned by the caller, within the per-creator and per-workspace caps. `body` is
    /// read after the early role check (404/403 before any body error).
    func create(
        _ principal: Principal, workspaceID: String, clientIP: String, body: @autoclosure () async throws -> CreateRequest
    ) async throws -> AgentRecord {
        _ = try await dependencies.requireRole(principal, in: workspaceID, for: .agentsCreate)
        let body = try await body()
        try Self.validate(name: body.name, description: body.description)
        let limits = (perCreator: dependencies.configuration.maxAgentsPerCreator, perWorkspace: dependencies.configuration.maxAgentsPerWorkspace)
        return try await dependencies.database.write { db in
            _ = try await dependencies.requireRole(principal, in: workspaceID, for: .agentsCreate, on: db)
            let counts = try await AgentRepository().counts(workspaceID: workspaceID, creator: principal.id, on: db)
            guard counts.creator < limits.perCreator else {
                throw Problem.conflict("You have created \(limits.perCreator) agents in this workspace, the most one member may; delete one first.")
            }
            guard counts.workspace < limits.perWorkspace else {
                throw Problem.conflict("This workspace holds \(limits.perWorkspace) agents, the most it may; delete one first.")
            }
            let now = Clock.milliseconds()
            var agent = AgentRecord(
                id: Identifier.generate(.agent), workspaceID: workspaceID, userID: nil, name: body.name.trimmingCharacters(in: .whitespaces),
                description: body.description ?? "", status: .active, createdBy: principal.id, createdAt: now, lastSeenAt: nil
            )
            try await AgentRepository().insert(agent, on: db)
            agent.handle = try await WorkspaceRepository().addMember(workspaceID: workspaceID, principalID: agent.id, role: .agent, now: now, on: db).value
            try await dependencies.audit(
                AuditEvent(actor: AuditActor(id: principal.id, kind: .human, ip: clientIP), action: "agent.created", target: agent.id, workspaceID: workspaceID),
                on: db
            )
            return agent
        }
    }

    /// One page of the workspace's agents. `page` is read after the role check (404/403 first).
    func list(_ principal: Principal, workspaceID: String, page: @autoclosure () throws -> Page) async throws -> (page: [AgentRecord], nextCursor: JSONValue) {
        _ = try await dependencies.requireRole(principal, in: workspaceID, for: .membersRead)
        let page = try page()
        let rows = try await dependencies.database.read { db in
            try await AgentRepository().list(workspaceID: workspaceID, after: page.after, limit: page.limit + 1, on: db)
        }
        return page.finish(rows) { $0.id }
    }

    func show(_ principal: Principal, agentID: String, in workspaceID: String) async throws -> AgentRecord {
        _ = try await dependencies.requireRole(principal, in: workspaceID, for: .membersRead)
        guard let agent = try await dependencies.database.read({ db in try await AgentRepository().find(id: agentID, workspaceID: workspaceID, on: db) })
        else { throw Problem.notFound }
        return agent
    }

    /// Renames, redescribes, re-handles, pauses or resumes the agent; pausing closes its open sockets.
    func update(_ principal: Principal, agentID: String, in workspaceID: String, clientIP: String, body: UpdateRequest) async throws -> AgentRecord {
        let permission: Permission = body.status != nil ? .agentsPause : .agentsManage
        let agent = try await managedAgent(principal, agentID: agentID, in: workspaceID, permission: permission)
        let handle = try Self.validate(name: body.name, description: body.description, handle: body.handle)
        let requestedStatus = try body.status.map { text in
            guard let status = AgentStatus(rawValue: text) else { throw Problem.validation(field: "status", "must be active or paused") }
            return status
        }
        let updated = try await dependencies.database.write { db in
            try await recheckManagement(agent, principal: principal, permission: permission, on: db)
            let name = body.name?.trimmingCharacters(in: .whitespaces) ?? agent.name
            let status = requestedStatus ?? agent.status
            try await AgentRepository().update(id: agent.id, name: name, description: body.description ?? agent.description, status: status,
                                               now: Clock.milliseconds(), on: db)
            if let handle {
                try await HandleChange(dependencies: dependencies).apply(
                    handle, to: agent.id, in: agent.workspaceID, by: principal, clientIP: clientIP, on: db
                )
            }
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
        return updated
    }

    /// Deletes the agent, its memberships and every key it has.
    func delete(_ principal: Principal, agentID: String, in workspaceID: String, clientIP: String) async throws {
        let agent = try await managedAgent(principal, agentID: agentID, in: workspaceID, permission: .agentsManage)
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
    }
}
