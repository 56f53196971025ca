import ConclaveCore
import ConclaveSecurity
import ConclaveStore
import Foundation

/// An agent's API keys: create (the key exists only in the answer), list (never the key),
/// revoke. Whoever may manage the agent (`AgentService.managedAgent`) manages its keys.
struct APIKeyService {
    let dependencies: ServerDependencies

    var agents: AgentService { AgentService(dependencies: dependencies) }

    struct CreateRequest: Decodable {
        let name: String?
        let scopes: [String]
        let expiresAt: String?
        let allowedCIDRs: [String]?

        enum CodingKeys: String, CodingKey {
            case name
            case scopes
            case expiresAt = "expires_at"
            case allowedCIDRs = "allowed_cidrs"
        }
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
        if let text = body.expiresAt {
            if let milliseconds = RFC3339.milliseconds(text) {
                expiresAt = milliseconds
                if milliseconds <= Clock.milliseconds() { errors.append(FieldError(field: "expires_at", message: "must be in the future")) }
            } else {
                errors.append(FieldError(field: "expires_at", message: "must be an RFC 3339 timestamp"))
            }
        }
        let cidrs = body.allowedCIDRs ?? []
        if cidrs.count > 50 { errors.append(FieldError(field: "allowed_cidrs", message: "at most 50 entries")) }
        for cidr in cidrs where CIDRBlock(cidr) == nil {
            errors.append(FieldError(field: "allowed_cidrs", message: "'\(cidr.prefix(60))' is not a CIDR block"))
        }
        if !errors.isEmpty { throw Problem.validation(errors) }
        return (scopes, expiresAt, cidrs)
    }

    /// A new key for the agent, and the key itself (only its hash is stored). `body` is read
    /// after the management check (404/403 before any body error).
    func create(
        _ principal: Principal, agentID: String, in workspaceID: String, clientIP: String, body: @autoclosure () async throws -> CreateRequest
    ) async throws -> (record: APIKeyRecord, key: String) {
        let agent = try await agents.managedAgent(principal, agentID: agentID, in: workspaceID, permission: .keysManage)
        let body = try await body()
        let (scopes, expiresAt, cidrs) = try Self.validate(body)
        let generated = APIKeyFormat.generate()
        let hash = dependencies.keys.apiKeyHasher.hexDigest(generated.key)
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
        return (record, generated.key)
    }

    /// One page of the agent's keys. `page` is read after the management check (404/403 first).
    func list(
        _ principal: Principal, agentID: String, in workspaceID: String, page: @autoclosure () throws -> Page
    ) async throws -> (page: [APIKeyRecord], nextCursor: JSONValue) {
        let agent = try await agents.managedAgent(principal, agentID: agentID, in: workspaceID, permission: .keysManage)
        let page = try page()
        let rows = try await dependencies.database.read { db in
            try await APIKeyRepository().list(ownerID: agent.id, after: page.after, limit: page.limit + 1, on: db)
        }
        return page.finish(rows) { $0.id }
    }

    /// Revokes one of the agent's keys. `keyID` is read after the management check (404/403 first).
    func revoke(
        _ principal: Principal, keyID: @autoclosure () throws -> String, agentID: String, in workspaceID: String, clientIP: String
    ) async throws {
        let agent = try await agents.managedAgent(principal, agentID: agentID, in: workspaceID, permission: .keysManage)
        let keyID = try keyID()
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
    }
}
