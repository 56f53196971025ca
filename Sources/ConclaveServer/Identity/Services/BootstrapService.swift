import ConclaveCore
import ConclaveSecurity
import ConclaveStore
import Foundation

/// An agent provisions itself (`POST /api/v1/bootstrap`). It gets a new workspace in which it
/// holds only the agent role, an account without a password (it has no email to sign in with, and
/// signs in with its key only: contract v1.1), an API key with the bootstrap
/// scopes, a `general` channel and a member invite. Nobody is owner until the first human accepts
/// the invite. Limited per client IP per hour; CONCLAVE_DISABLE_BOOTSTRAP=true turns it off (404).
struct BootstrapService {
    let dependencies: ServerDependencies

    struct BootstrapRequest: Decodable, Sendable {
        let agentName: String
        let workspaceName: String?

        enum CodingKeys: String, CodingKey {
            case agentName = "agent_name"
            case workspaceName = "workspace_name"
        }
    }

    /// What the agent gets, its secrets included (shown once).
    struct Provisioned: Sendable {
        let workspaceID: String
        let userID: String
        let agentID: String
        let apiKey: String
        let channelID: String
        let inviteURL: String

        var json: JSONValue {
            [
                "workspace_id": .string(workspaceID),
                "user_id": .string(userID),
                "agent_id": .string(agentID),
                "api_key": .string(apiKey),
                "channel_id": .string(channelID),
                "invite_url": .string(inviteURL),
            ]
        }
    }

    /// The agent's and the workspace's names, trimmed (422 naming each bad one).
    static func names(_ body: BootstrapRequest, limit: RateLimitStatus) throws -> (agent: String, workspace: String) {
        var errors: [FieldError] = []
        if let message = Validation.displayName(body.agentName) { errors.append(FieldError(field: "agent_name", message: message)) }
        if let name = body.workspaceName, let message = Validation.displayName(name) {
            errors.append(FieldError(field: "workspace_name", message: message))
        }
        if !errors.isEmpty { throw Problem.validation(errors).withRateLimitHeaders(limit) }
        let agentName = body.agentName.trimmingCharacters(in: .whitespaces)
        return (agentName, body.workspaceName?.trimmingCharacters(in: .whitespaces) ?? "\(agentName)'s workspace")
    }

    /// `limit` is the `bootstrap` bucket the route spent from; refusals carry its headers.
    func bootstrap(_ body: BootstrapRequest, clientIP: String, limit: RateLimitStatus) async throws -> Provisioned {
        let (agentName, workspaceName) = try Self.names(body, limit: limit)
        let apiKey = APIKeyFormat.generate()
        let apiKeyHash = dependencies.keys.apiKeyHasher.hexDigest(apiKey.key)
        let inviteToken = "inv_" + SecureRandom.token(bytes: 32)
        let inviteHash = dependencies.keys.tokenHasher.hexDigest(inviteToken)
        let ids = (
            workspace: Identifier.generate(.workspace), user: Identifier.generate(.user), agent: Identifier.generate(.agent),
            key: Identifier.generate(.apiKey), channel: Identifier.generate(.channel), invite: Identifier.generate(.invite)
        )
        try await dependencies.database.write { db in
            let now = Clock.milliseconds()
            try await UserRepository().insert(
                UserRecord(id: ids.user, kind: .agent, email: nil, name: agentName, passwordHash: nil, failedLogins: 0,
                           lockedUntil: nil, totpSecret: nil, totpEnabled: false, totpLastCounter: nil, createdAt: now),
                on: db
            )
            let workspaces = WorkspaceRepository()
            try await workspaces.insert(WorkspaceRecord(id: ids.workspace, name: workspaceName, createdBy: ids.agent, createdAt: now), on: db)
            try await AgentRepository().insert(
                AgentRecord(id: ids.agent, workspaceID: ids.workspace, userID: ids.user, name: agentName, description: "Self-provisioned by bootstrap",
                            status: .active, createdBy: ids.agent, createdAt: now, lastSeenAt: nil),
                on: db
            )
            try await workspaces.addMember(workspaceID: ids.workspace, principalID: ids.agent, role: .agent, now: now, on: db)
            try await APIKeyRepository().insert(
                APIKeyRecord(id: ids.key, ownerID: ids.agent, workspaceID: ids.workspace, name: "bootstrap", prefix: apiKey.prefix,
                             scopes: Scope.bootstrap.map(\.rawValue), expiresAt: nil, allowedCIDRs: [], createdBy: ids.agent, createdAt: now,
                             revokedAt: nil, lastUsedAt: nil, lastUsedIP: nil),
                hash: apiKeyHash, on: db
            )
            let channels = ChannelRepository()
            try await channels.insertChannel(id: ids.channel, workspaceID: ids.workspace, name: "general", isPrivate: false, topic: "",
                                             createdBy: ids.agent, now: now, on: db)
            try await channels.addMember(channelID: ids.channel, principalID: ids.agent, now: now, on: db)
            try await InviteRepository().insert(
                InviteRecord(id: ids.invite, workspaceID: ids.workspace, role: .member, maxUses: 1, uses: 0,
                             expiresAt: now + InviteService.defaultLifetimeSeconds * 1000, createdBy: ids.agent, createdAt: now, revokedAt: nil),
                tokenHash: inviteHash, on: db
            )
            try await dependencies.audit(
                AuditEvent(
                    actor: AuditActor(id: ids.agent, kind: .agent, ip: clientIP), action: "bootstrap.completed", target: ids.agent,
                    workspaceID: ids.workspace,
                    details: ["user_id": .string(ids.user), "key_id": .string(ids.key), "channel_id": .string(ids.channel), "invite_id": .string(ids.invite)]
                ),
                on: db
            )
        }
        return Provisioned(
            workspaceID: ids.workspace, userID: ids.user, agentID: ids.agent, apiKey: apiKey.key,
            channelID: ids.channel,
            inviteURL: InviteService(dependencies: dependencies).url(token: inviteToken))
    }
}
