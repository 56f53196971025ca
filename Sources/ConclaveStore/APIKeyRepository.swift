import ConclaveCore
import SQLKit

/// API keys: looked up by their keyed hash (one indexed lookup per request), never stored in clear.
public struct APIKeyRepository: Sendable {
    public init() {}

    public func insert(_ key: APIKeyRecord, hash: String, on db: DatabaseSession) async throws {
        try await db.raw(
            """
            INSERT INTO api_keys (id, owner_id, workspace_id, name, prefix, key_hash, scopes, expires_at, allowed_cidrs, created_by,
                                  created_at, revoked_at, last_used_at, last_used_ip)
            VALUES (\(bind: key.id), \(bind: key.ownerID), \(bind: key.workspaceID), \(bind: key.name), \(bind: key.prefix), \(bind: hash),
                    \(bind: key.$scopes), \(bind: key.expiresAt), \(bind: key.$allowedCIDRs),
                    \(bind: key.createdBy), \(bind: key.createdAt), NULL, NULL, NULL)
            """
        ).run()
    }

    public func find(hash: String, on db: DatabaseSession) async throws -> APIKeyRecord? {
        try await db.raw("SELECT * FROM api_keys WHERE key_hash = \(bind: hash)").firstRecord(APIKeyRecord.self)
    }

    /// The key and, for an agent's key, the agent's status, in one indexed lookup.
    public func findForAuthentication(hash: String, on db: DatabaseSession) async throws -> (APIKeyRecord, agentStatus: AgentStatus?)? {
        guard let row = try await db.raw(
            """
            SELECT k.*, a.status AS agent_status FROM api_keys k LEFT JOIN agents a ON a.id = k.owner_id
            WHERE k.key_hash = \(bind: hash)
            """
        ).first() else { return nil }
        return (try row.decodeRecord(APIKeyRecord.self), try row.decodeRecord(OwningAgent.self).agentStatus)
    }

    public func find(id: String, ownerID: String, on db: DatabaseSession) async throws -> APIKeyRecord? {
        try await db.raw("SELECT * FROM api_keys WHERE id = \(bind: id) AND owner_id = \(bind: ownerID)").firstRecord(APIKeyRecord.self)
    }

    public func list(ownerID: String, after cursor: String?, limit: Int, on db: DatabaseSession) async throws -> [APIKeyRecord] {
        try await db.raw(
            "SELECT * FROM api_keys WHERE owner_id = \(bind: ownerID) AND id > \(bind: cursor ?? "") ORDER BY id LIMIT \(bind: limit)"
        ).allRecords(APIKeyRecord.self)
    }

    @discardableResult
    public func revoke(id: String, now: Int64, on db: DatabaseSession) async throws -> Bool {
        let revoked = try await db.raw(
            "UPDATE api_keys SET revoked_at = \(bind: now) WHERE id = \(bind: id) AND revoked_at IS NULL RETURNING id"
        ).first() != nil
        if revoked { try await NotificationChannel.credentialsRevokedOnCommit(on: db) }
        return revoked
    }

    public func revokeAll(ownerID: String, now: Int64, on db: DatabaseSession) async throws -> Int {
        let revoked = try await db.raw(
            "UPDATE api_keys SET revoked_at = \(bind: now) WHERE owner_id = \(bind: ownerID) AND revoked_at IS NULL RETURNING id"
        ).all().count
        if revoked > 0 { try await NotificationChannel.credentialsRevokedOnCommit(on: db) }
        return revoked
    }

    public func recordUse(id: String, now: Int64, ip: String, on db: DatabaseSession) async throws {
        try await db.raw("UPDATE api_keys SET last_used_at = \(bind: now), last_used_ip = \(bind: ip) WHERE id = \(bind: id)").run()
    }

    /// The owning agent's status joined to a key's row (nil for a person's key).
    struct OwningAgent: Decodable {
        var agentStatus: AgentStatus?
    }
}
