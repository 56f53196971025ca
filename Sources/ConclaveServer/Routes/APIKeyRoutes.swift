import ConclaveCore
import ConclaveSecurity
import ConclaveStore
import Foundation
import Hummingbird

/// An agent's API keys: create (the key is shown once), list (never the key), revoke.
struct APIKeyRoutes {
    let dependencies: ServerDependencies

    struct CreateRequest: Decodable {
        let name: String?
        let scopes: [String]
        let expires_at: String?
        let allowed_cidrs: [String]?
    }

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

    /// Checks the request's fields; returns (scopes, expiry ms, CIDRs) or 422 with every bad field.
    static func validate(_ body: CreateRequest) throws -> ([String], Int64?, [String]) {
        var errors: [FieldError] = []
        if let name = body.name, let message = Validation.displayName(name) { errors.append(FieldError(field: "name", message: message)) }
        let scopes = Array(Set(body.scopes)).sorted()
        if scopes.isEmpty { errors.append(FieldError(field: "scopes", message: "must name at least one scope")) }
        for scope in scopes where Scope(rawValue: scope) == nil {
            errors.append(FieldError(field: "scopes", message: "'\(scope.prefix(40))' is not a scope; use \(Scope.allCases.map(\.rawValue).joined(separator: ", "))"))
        }
        var expiresAt: Int64?
        if let text = body.expires_at {
            if let milliseconds = RFC3339.milliseconds(text) {
                expiresAt = milliseconds
                if milliseconds <= Clock.milliseconds() { errors.append(FieldError(field: "expires_at", message: "must be in the future")) }
            } else {
                errors.append(FieldError(field: "expires_at", message: "must be an RFC 3339 timestamp"))
            }
        }
        let cidrs = body.allowed_cidrs ?? []
        if cidrs.count > 50 { errors.append(FieldError(field: "allowed_cidrs", message: "at most 50 entries")) }
        for cidr in cidrs where CIDRBlock(cidr) == nil {
            errors.append(FieldError(field: "allowed_cidrs", message: "'\(cidr.prefix(60))' is not a CIDR block"))
        }
        if !errors.isEmpty { throw Problem.validation(errors) }
        return (scopes, expiresAt, cidrs)
    }

    func create(_ request: Request, _ context: SessionRequestContext) async throws -> Response {
        let agents = AgentRoutes(dependencies: dependencies)
        let (principal, _, agent) = try await agents.managedAgent(context, permission: .keysManage)
        let body = try await request.decodeJSON(as: CreateRequest.self, context: context)
        let (scopes, expiresAt, cidrs) = try Self.validate(body)
        let generated = APIKeyFormat.generate()
        let hash = dependencies.keys.apiKeyHasher.hexDigest(generated.key)
        let clientIP = context.clientIP
        let record = try await dependencies.database.write { db in
            try await agents.recheckManagement(agent, principal: principal, permission: .keysManage, on: db)
            let now = Clock.milliseconds()
            let record = APIKeyRecord(
                id: Identifier.generate(.apiKey), ownerID: agent.id, workspaceID: agent.workspaceID, name: body.name ?? "default",
                prefix: generated.prefix, scopes: scopes, expiresAt: expiresAt, allowedCIDRs: cidrs, createdBy: principal.id,
                createdAt: now, revokedAt: nil, lastUsedAt: nil, lastUsedIP: nil
            )
            try await APIKeyRepository().insert(record, hash: hash, on: db)
            try await dependencies.audit(
                AuditEvent(actor: AuditActor(id: principal.id, kind: .human, ip: clientIP), action: "key.created", target: record.id,
                           workspaceID: agent.workspaceID,
                           details: ["agent_id": .string(agent.id), "prefix": .string(record.prefix), "scopes": .array(scopes.map(JSONValue.string))]),
                on: db
            )
            return record
        }
        guard case .object(var json) = Self.json(record) else { throw Problem.internalError }
        json["key"] = .string(generated.key)
        return JSONResponse.make(.object(json), status: .created, headers: [IdempotencyMiddleware.noReplayHeader: "1"])
    }

    func list(_ request: Request, _ context: SessionRequestContext) async throws -> Response {
        let (_, _, agent) = try await AgentRoutes(dependencies: dependencies).managedAgent(context, permission: .keysManage)
        let page = try Page(request)
        let rows = try await dependencies.database.read { db in
            try await APIKeyRepository().list(ownerID: agent.id, after: page.after, limit: page.limit + 1, on: db)
        }
        let (items, next) = page.finish(rows) { $0.id }
        return JSONResponse.make(Page.response(items.map(Self.json), next: next))
    }

    func revoke(_ context: SessionRequestContext) async throws -> Response {
        let agents = AgentRoutes(dependencies: dependencies)
        let (principal, _, agent) = try await agents.managedAgent(context, permission: .keysManage)
        let keyID = try context.pathID("key", kind: .apiKey)
        let clientIP = context.clientIP
        try await dependencies.database.write { db in
            try await agents.recheckManagement(agent, principal: principal, permission: .keysManage, on: db)
            let keys = APIKeyRepository()
            guard let key = try await keys.find(id: keyID, ownerID: agent.id, on: db), key.revokedAt == nil else { throw Problem.notFound }
            try await keys.revoke(id: key.id, now: Clock.milliseconds(), on: db)
            try await dependencies.audit(
                AuditEvent(actor: AuditActor(id: principal.id, kind: .human, ip: clientIP), action: "key.revoked", target: key.id,
                           workspaceID: agent.workspaceID, details: ["agent_id": .string(agent.id), "prefix": .string(key.prefix)]),
                on: db
            )
        }
        dependencies.credentials.credentialsChanged()
        return Response(status: .noContent)
    }
}
