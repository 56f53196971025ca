import ConclaveCore
import ConclaveStore
import Foundation
import Hummingbird

/// Invites over HTTP (`InviteService`): create, list, revoke; accepting one joins the workspace,
/// and without a session signs a person up first (`InviteSignup`).
struct InviteRoutes {
    let dependencies: ServerDependencies

    var service: InviteService { InviteService(dependencies: dependencies) }

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

    func create(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        let workspaceID = try context.pathID("ws", kind: .workspace)
        let created = try await service.create(
            context.principal, workspaceID: workspaceID, clientIP: context.clientIP,
            body: await request.decodeJSON(as: InviteService.CreateRequest.self, context: context, emptyBodyAs: "{}")
        )
        guard case .object(var body) = Self.json(created.invite) else { throw Problem.internalError }
        body["token"] = .string(created.token)
        body["url"] = .string(created.url)
        // The token is shown once: never stored for an Idempotency-Key replay.
        return JSONResponse.make(.object(body), status: .created, headers: [IdempotencyMiddleware.noReplayHeader: "1"])
    }

    func list(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        let workspaceID = try context.pathID("ws", kind: .workspace)
        let (items, next) = try await service.list(context.principal, workspaceID: workspaceID, page: try Page(request))
        return JSONResponse.make(Page.response(items.map(Self.json), next: next))
    }

    func revoke(_ context: AuthenticatedRequestContext) async throws -> Response {
        let workspaceID = try context.pathID("ws", kind: .workspace)
        let inviteID = try context.pathID("invite", kind: .invite)
        try await service.revoke(context.principal, inviteID: inviteID, in: workspaceID, clientIP: context.clientIP)
        return Response(status: .noContent)
    }

    /// Accepting as the signed-in person (200, a membership), or, without a session, signing up
    /// (`InviteSignup`: 201, a membership and a session).
    func accept(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let token = context.parameters.get("token"), token.utf8.count <= 200 else { throw Problem.notFound }
        let tokenHash = service.tokenHash(token)
        guard let principal = context.principal else {
            return try await InviteSignup(dependencies: dependencies).signUp(request, context, tokenHash: tokenHash)
        }
        let joined = try await service.accept(principal, tokenHash: tokenHash, clientIP: context.clientIP)
        return JSONResponse.make(.object(joined.json(userID: principal.id)), headers: [IdempotencyMiddleware.noReplayHeader: "1"])
    }
}
