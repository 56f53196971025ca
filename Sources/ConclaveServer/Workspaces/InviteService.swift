import ConclaveCore
import ConclaveSecurity
import ConclaveStore
import Foundation

/// Invites: random tokens stored only as keyed hashes, with expiry, a use limit and revocation.
/// Joining through one is `join`, shared by a signed-in person's acceptance and sign-up.
struct InviteService {
    static let defaultLifetimeSeconds: Int64 = 7 * 24 * 3600
    static let maxLifetimeSeconds: Int64 = 30 * 24 * 3600

    let dependencies: ServerDependencies

    struct CreateRequest: Decodable {
        let role: String?
        let maxUses: Int64?
        let expiresIn: Int64?

        enum CodingKeys: String, CodingKey {
            case role
            case maxUses = "max_uses"
            case expiresIn = "expires_in"
        }
    }

    /// A new invite and its token, which exists only here (the database keeps its keyed hash).
    struct Created: Sendable {
        let invite: InviteRecord
        let token: String
        let url: String
    }

    /// A membership made through an invite.
    struct Joined: Sendable {
        let workspaceID: String
        let role: Role
        let event: WorkspaceEvent

        /// The answer to an acceptance, also a sign-up's before its tokens.
        func json(userID: String) -> [String: JSONValue] {
            ["workspace_id": .string(workspaceID), "role": .string(role.rawValue), "user_id": .string(userID)]
        }
    }

    /// Where a person opens the invite: `<public URL>/invite#<token>` (contract v1.1). The token
    /// rides in the fragment, which a browser never sends: it reaches no server log, proxy or
    /// Referer; the console reads it from the page.
    func url(token: String) -> String {
        let publicURL = dependencies.configuration.publicURL
        let base = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        return "\(base)/invite#\(token)"
    }

    /// The keyed hash an invite's token is stored and looked up by.
    func tokenHash(_ token: String) -> String {
        dependencies.keys.tokenHasher.hexDigest(token)
    }

    static func requireMayInvite(_ actorRole: Role, as role: Role) throws {
        guard RolePolicy.mayChangeRole(actor: actorRole, from: .viewer, to: role) else {
            throw Problem.forbidden("A \(actorRole.rawValue) cannot invite a \(role.rawValue).")
        }
    }

    /// The request's fields, or 422 naming every bad one.
    static func validate(_ body: CreateRequest) throws -> (role: Role, maxUses: Int64, lifetime: Int64) {
        var errors: [FieldError] = []
        let role = Role(rawValue: body.role ?? "member")
        if role == nil || role == .agent || role == .owner {
            errors.append(FieldError(field: "role", message: "must be admin, member or viewer"))
        }
        let maxUses = body.maxUses ?? 1
        if !(1...1000).contains(maxUses) { errors.append(FieldError(field: "max_uses", message: "must be from 1 to 1000")) }
        let lifetime = body.expiresIn ?? Self.defaultLifetimeSeconds
        if !(1...Self.maxLifetimeSeconds).contains(lifetime) {
            errors.append(FieldError(field: "expires_in", message: "must be from 1 to \(Self.maxLifetimeSeconds) seconds"))
        }
        guard errors.isEmpty, let role else { throw Problem.validation(errors) }
        return (role, maxUses, lifetime)
    }

    /// A new invite. `body` is read after the early role check (404/403 before any body error).
    func create(
        _ principal: Principal, workspaceID: String, clientIP: String, body: @autoclosure () async throws -> CreateRequest
    ) async throws -> Created {
        let actorRole = try await dependencies.requireRole(principal, in: workspaceID, for: .invitesManage)
        let (role, maxUses, lifetime) = try Self.validate(try await body())
        try Self.requireMayInvite(actorRole, as: role)
        let token = "inv_" + SecureRandom.token(bytes: 32)
        let tokenHash = tokenHash(token)
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
        return Created(invite: invite, token: token, url: url(token: token))
    }

    /// One page of the workspace's invites. `page` is read after the role check (404/403 first).
    func list(
        _ principal: Principal, workspaceID: String, page: @autoclosure () throws -> Page
    ) async throws -> (page: [InviteRecord], nextCursor: JSONValue) {
        _ = try await dependencies.requireRole(principal, in: workspaceID, for: .invitesManage)
        let page = try page()
        let rows = try await dependencies.database.read { db in
            try await InviteRepository().list(workspaceID: workspaceID, after: page.after, limit: page.limit + 1, on: db)
        }
        return page.finish(rows) { $0.id }
    }

    func revoke(_ principal: Principal, inviteID: String, in workspaceID: String, clientIP: String) async throws {
        _ = try await dependencies.requireRole(principal, in: workspaceID, for: .invitesManage)
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
    }

    /// The signed-in person (a human) joins through the invite whose token hashes to `tokenHash`.
    func accept(_ principal: Principal, tokenHash: String, clientIP: String) async throws -> Joined {
        guard principal.kind == .human else { throw Problem.forbidden("Agents cannot accept invites.") }
        let joined = try await dependencies.database.write { db in
            try await join(principal.id, tokenHash: tokenHash, clientIP: clientIP, now: Clock.milliseconds(), on: db)
        }
        dependencies.events.joined(principal.id, event: joined.event)
        return joined
    }

    /// Makes `userID` a member through the invite, inside the caller's transaction: the invite must
    /// still be usable (404) and the person not yet a member (409). The caller hands `Joined.event`
    /// to `dependencies.events.joined` after the commit.
    func join(_ userID: String, tokenHash: String, clientIP: String, now: Int64, on db: DatabaseSession) async throws -> Joined {
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
}
