import ConclaveCore
import ConclaveStore
import Foundation
import Hummingbird

/// An agent's API keys over HTTP (`APIKeyService`): create (the key is shown once), list (never
/// the key), revoke.
struct APIKeyRoutes {
    let dependencies: ServerDependencies

    var service: APIKeyService { APIKeyService(dependencies: dependencies) }

    func register(on router: Router<AppRequestContext>) {
        let router = router.group(context: SessionRequestContext.self)
        router.post("/api/v1/workspaces/{ws}/agents/{agent}/keys") { request, context in try await create(request, context) }
        router.get("/api/v1/workspaces/{ws}/agents/{agent}/keys") { request, context in try await list(request, context) }
        router.delete("/api/v1/workspaces/{ws}/agents/{agent}/keys/{key}") { _, context in try await revoke(context) }
    }

    static func json(_ key: APIKeyRecord) -> JSONValue {
        [
            "id": .string(key.id),
            "name": .string(key.name),
            "prefix": .string(key.prefix),
            "owner_id": .string(key.ownerID),
            "scopes": .array(key.scopes.map(JSONValue.string)),
            "allowed_cidrs": .array(key.allowedCIDRs.map(JSONValue.string)),
            "expires_at": key.expiresAt.map { .string(Clock.rfc3339(milliseconds: $0)) } ?? .null,
            "created_at": .string(Clock.rfc3339(milliseconds: key.createdAt)),
            "revoked_at": key.revokedAt.map { .string(Clock.rfc3339(milliseconds: $0)) } ?? .null,
            "last_used_at": key.lastUsedAt.map { .string(Clock.rfc3339(milliseconds: $0)) } ?? .null,
            "last_used_ip": key.lastUsedIP.map(JSONValue.string) ?? .null,
        ]
    }

    func create(_ request: Request, _ context: SessionRequestContext) async throws -> Response {
        let workspaceID = try context.pathID("ws", kind: .workspace)
        let agentID = try context.pathID("agent", kind: .agent)
        let (record, key) = try await service.create(
            context.principal, agentID: agentID, in: workspaceID, clientIP: context.clientIP,
            body: await request.decodeJSON(as: APIKeyService.CreateRequest.self, context: context)
        )
        guard case .object(var json) = Self.json(record) else { throw Problem.internalError }
        json["key"] = .string(key)
        return JSONResponse.make(.object(json), status: .created, headers: [IdempotencyMiddleware.noReplayHeader: "1"])
    }

    func list(_ request: Request, _ context: SessionRequestContext) async throws -> Response {
        let workspaceID = try context.pathID("ws", kind: .workspace)
        let agentID = try context.pathID("agent", kind: .agent)
        let (items, next) = try await service.list(context.principal, agentID: agentID, in: workspaceID, page: try Page(request))
        return JSONResponse.make(Page.response(items.map(Self.json), next: next))
    }

    func revoke(_ context: SessionRequestContext) async throws -> Response {
        let workspaceID = try context.pathID("ws", kind: .workspace)
        let agentID = try context.pathID("agent", kind: .agent)
        try await service.revoke(
            context.principal, keyID: try context.pathID("key", kind: .apiKey), agentID: agentID, in: workspaceID, clientIP: context.clientIP
        )
        return Response(status: .noContent)
    }
}
