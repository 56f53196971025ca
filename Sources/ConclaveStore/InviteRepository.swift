import ConclaveCore
import SQLKit

/// Workspace invites. The token itself is never stored, only its keyed hash.
public struct InviteRepository: Sendable {
    public init() {}

    public func insert(_ invite: InviteRecord, tokenHash: String, on db: DatabaseSession) async throws {
        try await db.raw(
            """
            INSERT INTO invites (id, workspace_id, token_hash, role, max_uses, uses, expires_at, created_by, created_at, revoked_at)
            VALUES (\(bind: invite.id), \(bind: invite.workspaceID), \(bind: tokenHash), \(bind: invite.role.rawValue), \(bind: invite.maxUses),
                    0, \(bind: invite.expiresAt), \(bind: invite.createdBy), \(bind: invite.createdAt), NULL)
            """
        ).run()
    }

    public func find(tokenHash: String, on db: DatabaseSession) async throws -> InviteRecord? {
        try await db.raw("SELECT * FROM invites WHERE token_hash = \(bind: tokenHash)").firstRecord(InviteRecord.self)
    }

    public func find(id: String, workspaceID: String, on db: DatabaseSession) async throws -> InviteRecord? {
        try await db.raw("SELECT * FROM invites WHERE id = \(bind: id) AND workspace_id = \(bind: workspaceID)").firstRecord(InviteRecord.self)
    }

    /// Takes one use if the invite is still usable; the check and the increment are one statement.
    public func consume(id: String, now: Int64, on db: DatabaseSession) async throws -> Bool {
        try await db.raw(
            """
            UPDATE invites SET uses = uses + 1
            WHERE id = \(bind: id) AND revoked_at IS NULL AND expires_at > \(bind: now) AND uses < max_uses
            RETURNING id
            """
        ).first() != nil
    }

    public func revoke(id: String, now: Int64, on db: DatabaseSession) async throws {
        try await db.raw("UPDATE invites SET revoked_at = \(bind: now) WHERE id = \(bind: id) AND revoked_at IS NULL").run()
    }

    public func list(workspaceID: String, after cursor: String?, limit: Int, on db: DatabaseSession) async throws -> [InviteRecord] {
        try await db.raw(
            """
            SELECT * FROM invites WHERE workspace_id = \(bind: workspaceID) AND id > \(bind: cursor ?? "")
            ORDER BY id LIMIT \(bind: limit)
            """
        ).allRecords(InviteRecord.self)
    }

}
