import ConclaveCore
import ConclaveSecurity
import ConclaveStore
import Foundation
import Hummingbird

/// Invites: random tokens stored only as keyed hashes, with expiry, a use limit and revocation.
/// Accepting one joins the workspace; without a session it signs a person up first (`InviteSignup`).
struct InviteRoutes {
    static let defaultLifetimeSeconds: Int64 = 7 * 24 * 3600
    static let maxLifetimeSeconds: Int64 = 30 * 24 * 3600

    let dependencies: ServerDependencies

    struct CreateRequest: Decodable {
        let role: String?
        let max_uses: Int64?
        let expires_in: Int64?
    }

    func register(on router: Router<AppRequestContext>) {
        let members = router.group(context: AuthenticatedRequestContext.self)
        members.post("/api/v1/workspaces/{ws}/invites") { request, context in try await create(request, context) }
        members.get("/api/v1/workspaces/{ws}/invites") { request, context in try await list(request, context) }
        members.delete("/api/v1/workspaces/{ws}/invites/{invite}") { _, context in try await revoke(context) }
        // Open to anyone: a signed-in person accepts, anyone else signs up.
        router.post("/api/v1/invites/{token}/accept") { request, context in try await accept(request, context) }
    }

    static func json(_ invite: InviteRecord) -> JSONValue {
        [
            "id": .string(invite.id),
            "workspace_id": .string(invite.workspaceID),
            "role": .string(invite.role.rawValue),
            "max_uses": .int(invite.maxUses),
            "uses": .int(invite.uses),
            "expires_at": .string(Clock.rfc3339(milliseconds: invite.expiresAt)),
            "created_at": .string(Clock.rfc3339(milliseconds: invite.createdAt)),
            "revoked": .bool(invite.revokedAt != nil),
        ]
    }

    static func requireMayInvite(_ actorRole: Role, as role: Role) throws {
        guard RolePolicy.mayChangeRole(actor: actorRole, from: .viewer, to: role) else {
            throw Problem.forbidden("A \(actorRole.rawValue) cannot invite a \(role.rawValue).")
        }
    }

    func create(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = context.principal
        let workspaceID = try context.pathID("ws", kind: .workspace)
        let actorRole = try await dependencies.requireRole(principal, in: workspaceID, for: .invitesManage)
        let body = try await request.decodeJSON(as: CreateRequest.self, context: context, emptyBodyAs: "{}")
        var errors: [FieldError] = []
        let role = Role(rawValue: body.role ?? "member")
        if role == nil || role == .agent || role == .owner {
            errors.append(FieldError(field: "role", message: "must be admin, member or viewer"))
        }
        let maxUses = body.max_uses ?? 1
        if !(1...1000).contains(maxUses) { errors.append(FieldError(field: "max_uses", message: "must be from 1 to 1000")) }
        let lifetime = body.expires_in ?? Self.defaultLifetimeSeconds
        if !(1...Self.maxLifetimeSeconds).contains(lifetime) {
            errors.append(FieldError(field: "expires_in", message: "must be from 1 to \(Self.maxLifetimeSeconds) seconds"))
        }
        guard errors.isEmpty, let role else { throw Problem.validation(errors) }
        try Self.requireMayInvite(actorRole, as: role)
        let token = "inv_" + SecureRandom.token(bytes: 32)
        let tokenHash = dependencies.keys.tokenHasher.hexDigest(token)
        let clientIP = context.clientIP
        let invite = try await dependencies.database.write { db in
            try Self.requireMayInvite(try await dependencies.requireRole(principal, in: workspaceID, for: .invitesManage, on: db), as: role)
            let now = Clock.milliseconds()
            let invite = InviteRecord(
                id: Identifier.generate(.invite),
                workspaceID: workspaceID,
                role: role,
                maxUses: maxUses,
                uses: 0,
                expiresAt: now + lifetime * 1000,
                createdBy: principal.id,
                createdAt: now,
                revokedAt: nil
            )
            try await InviteRepository().insert(invite, tokenHash: tokenHash, on: db)
            try await dependencies.audit(
                AuditEvent(
                    actor: AuditActor(id: principal.id, kind: .human, ip: clientIP),
                    action: "invite.created",
                    target: invite.id,
                    workspaceID: workspaceID,
                    details: ["role": .string(role.rawValue), "max_uses": .int(maxUses)]
                ),
                on: db
            )
            return invite
        }
        guard case .object(var body) = Self.json(invite) else { throw Problem.internalError }
        body["token"] = .string(token)
        body["url"] = .string(Self.url(publicURL: dependencies.configuration.publicURL, token: token))
        // The token is shown once: never stored for an Idempotency-Key replay.
        return JSONResponse.make(.object(body), status: .created, headers: [IdempotencyMiddleware.noReplayHeader: "1"])
    }

    static func url(publicURL: String, token: String) -> String {
        let base = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        return "\(base)/invite/\(token)"
    }

    func list(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = context.principal
        let workspaceID = try context.pathID("ws", kind: .workspace)
        _ = try await dependencies.requireRole(principal, in: workspaceID, for: .invitesManage)
        let page = try Page(request)
        let rows = try await dependencies.database.read { db in
            try await InviteRepository().list(workspaceID: workspaceID, after: page.after, limit: page.limit + 1, on: db)
        }
        let (items, next) = page.finish(rows) { $0.id }
        return JSONResponse.make(Page.response(items.map(Self.json), next: next))
    }

    func revoke(_ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = context.principal
        let workspaceID = try context.pathID("ws", kind: .workspace)
        let inviteID = try context.pathID("invite", kind: .invite)
        _ = try await dependencies.requireRole(principal, in: workspaceID, for: .invitesManage)
        let clientIP = context.clientIP
        try await dependencies.database.write { db in
            _ = try await dependencies.requireRole(principal, in: workspaceID, for: .invitesManage, on: db)
            let invites = InviteRepository()
            guard try await invites.find(id: inviteID, workspaceID: workspaceID, on: db) != nil else { throw Problem.notFound }
            try await invites.revoke(id: inviteID, now: Clock.milliseconds(), on: db)
            try await dependencies.audit(
                AuditEvent(
                    actor: AuditActor(id: principal.id, kind: .human, ip: clientIP),
                    action: "invite.revoked",
                    target: inviteID,
                    workspaceID: workspaceID
                ),
                on: db
            )
        }
        return Response(status: .noContent)
    }

    /// Accepting as the signed-in person (200, a membership), or, without a session, signing up
    /// (`InviteSignup`: 201, a membership and a session).
    func accept(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let token = context.parameters.get("token"), token.utf8.count <= 200 else { throw Problem.notFound }
        let tokenHash = dependencies.keys.tokenHasher.hexDigest(token)
        guard let principal = context.principal else {
            return try await InviteSignup(dependencies: dependencies).signUp(request, context, tokenHash: tokenHash)
        }
        guard principal.kind == .human else { throw Problem.forbidden("Agents cannot accept invites.") }
        let clientIP = context.clientIP
        let joined = try await dependencies.database.write { db in
            try await Self.join(principal.id, tokenHash: tokenHash, clientIP: clientIP, now: Clock.milliseconds(), dependencies: dependencies, on: db)
        }
        dependencies.events.joined(principal.id, event: joined.event)
        return JSONResponse.make(.object(Self.joinedJSON(joined, userID: principal.id)), headers: [IdempotencyMiddleware.noReplayHeader: "1"])
    }

    /// A membership made through an invite.
    struct Joined: Sendable {
        let workspaceID: String
        let role: Role
        let event: WorkspaceEvent
    }

    /// Makes `userID` a member through the invite, inside the caller's transaction: the invite must
    /// still be usable (404) and the person not yet a member (409).
    static func join(
        _ userID: String, tokenHash: String, clientIP: String, now: Int64, dependencies: ServerDependencies, on db: DatabaseSession
    ) async throws -> Joined {
        let invites = InviteRepository()
        let workspaces = WorkspaceRepository()
        guard let invite = try await invites.find(tokenHash: tokenHash, on: db), invite.isUsable(at: now) else {
            throw Problem.notFound
        }
        if try await workspaces.role(of: userID, in: invite.workspaceID, on: db) != nil {
            throw Problem.conflict("You are already a member of this workspace.")
        }
        guard try await invites.consume(id: invite.id, now: now, on: db) else { throw Problem.notFound }
        // A workspace without an owner (made by an agent's bootstrap) gets its first human as owner.
        let role: Role = try await workspaces.ownerCount(of: invite.workspaceID, on: db) == 0 ? .owner : invite.role
        // The workspace row (the event) before the audit chain's lock, as everywhere else:
        // the other order deadlocks against, say, a moderator's deletion on PostgreSQL.
        let event = try await WorkspaceJoin.add(userID, to: invite.workspaceID, role: role, now: now, on: db)
        try await dependencies.audit(
            AuditEvent(
                actor: AuditActor(id: userID, kind: .human, ip: clientIP),
                action: "invite.accepted",
                target: invite.id,
                workspaceID: invite.workspaceID,
                details: ["role": .string(role.rawValue), "member_id": .string(userID)]
            ),
            on: db
        )
        return Joined(workspaceID: invite.workspaceID, role: role, event: event)
    }

    static func joinedJSON(_ joined: Joined, userID: String) -> [String: JSONValue] {
        ["workspace_id": .string(joined.workspaceID), "role": .string(joined.role.rawValue), "user_id": .string(userID)]
    }
}
