import ConclaveCore
import ConclaveSecurity
import ConclaveStore
import Foundation
import Hummingbird

/// `POST /api/v1/bootstrap`: an agent provisions itself. It gets a new workspace in which it holds
/// only the agent role, an account with a random password, an API key with the bootstrap scopes,
/// a `general` channel and a member invite. Nobody is owner until the first human accepts the
/// invite. Limited per client IP per hour; CONCLAVE_DISABLE_BOOTSTRAP=true turns it off (404).
struct BootstrapRoutes {
    let dependencies: ServerDependencies

    struct BootstrapRequest: Decodable {
        let agent_name: String
        let workspace_name: String?
    }

    func register(on router: Router<AppRequestContext>) {
        router.post("/api/v1/bootstrap") { request, context in try await bootstrap(request, context) }
    }

    func bootstrap(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard !dependencies.configuration.disableBootstrap else { throw Problem.notFound }
        let limit = try dependencies.enforce("bootstrap", key: context.clientIP)
        let body = try await request.decodeJSON(as: BootstrapRequest.self, context: context)
        var errors: [FieldError] = []
        if let message = Validation.displayName(body.agent_name) { errors.append(FieldError(field: "agent_name", message: message)) }
        if let name = body.workspace_name, let message = Validation.displayName(name) {
            errors.append(FieldError(field: "workspace_name", message: message))
        }
        if !errors.isEmpty { throw Problem.validation(errors).withRateLimitHeaders(limit) }

        let agentName = body.agent_name.trimmingCharacters(in: .whitespaces)
        let workspaceName = body.workspace_name?.trimmingCharacters(in: .whitespaces) ?? "\(agentName)'s workspace"
        let password = SecureRandom.token(bytes: 24)
        let passwordHash = try await dependencies.passwords.hash(password)
        let apiKey = APIKeyFormat.generate()
        let apiKeyHash = dependencies.keys.apiKeyHasher.hexDigest(apiKey.key)
        let inviteToken = "inv_" + SecureRandom.token(bytes: 32)
        let inviteHash = dependencies.keys.tokenHasher.hexDigest(inviteToken)
        let clientIP = context.clientIP
        let ids = (
            workspace: Identifier.generate(.workspace), user: Identifier.generate(.user), agent: Identifier.generate(.agent),
            key: Identifier.generate(.apiKey), channel: Identifier.generate(.channel), invite: Identifier.generate(.invite)
        )
        try await dependencies.database.write { db in
            let now = Clock.milliseconds()
            try await UserRepository().insert(
                UserRecord(id: ids.user, kind: .agent, email: nil, name: agentName, passwordHash: passwordHash, failedLogins: 0,
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
                             expiresAt: now + InviteRoutes.defaultLifetimeSeconds * 1000, createdBy: ids.agent, createdAt: now, revokedAt: nil),
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
        var headers: HTTPFields = [IdempotencyMiddleware.noReplayHeader: "1"]
        headers.setRateLimit(limit)
        return JSONResponse.make(
            [
                "workspace_id": .string(ids.workspace),
                "user_id": .string(ids.user),
                "agent_id": .string(ids.agent),
                "password": .string(password),
                "api_key": .string(apiKey.key),
                "channel_id": .string(ids.channel),
                "invite_url": .string(InviteRoutes.url(publicURL: dependencies.configuration.publicURL, token: inviteToken)),
            ],
            status: .created,
            headers: headers
        )
    }
}
