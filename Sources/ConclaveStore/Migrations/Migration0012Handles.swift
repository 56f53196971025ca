import ConclaveCore
import SQLKit

/// Handles (contract v1.1): every membership, a person's in each of their workspaces and an
/// agent's in its one, gets `handle`, unique in the workspace. Existing members get the handle
/// their name suggests (`Handle.derived`, as new members do), numbered `-2`, `-3`… on a clash,
/// in the order they joined, so the earliest member keeps the plain one.
struct Migration0012Handles: Migration {
    let version = 12
    let name = "handles"

    func statements(for kind: DatabaseKind) -> [String] {
        // NOT NULL from the start (SQLite cannot add it later); the backfill replaces every ''.
        ["ALTER TABLE memberships ADD COLUMN handle TEXT NOT NULL DEFAULT ''"]
    }

    func backfill(on db: DatabaseSession) async throws {
        let members = try await db.raw(
            """
            SELECT m.workspace_id, m.principal_id, COALESCE(u.name, a.name, '') AS name
            FROM memberships m LEFT JOIN users u ON u.id = m.principal_id LEFT JOIN agents a ON a.id = m.principal_id
            ORDER BY m.workspace_id, m.created_at, m.principal_id
            """
        ).allRecords(Member.self)
        var workspaceID: String?
        var taken = Set<Handle>()
        for member in members {
            if member.workspaceID != workspaceID {
                workspaceID = member.workspaceID
                taken = []
            }
            let base = HandleRepository.derived(from: member.name, principalID: member.principalID)
            var handle = base
            var n = 2
            while taken.contains(handle) {
                handle = base.numbered(n)
                n += 1
            }
            taken.insert(handle)
            try await HandleRepository().set(handle, of: member.principalID, in: member.workspaceID, on: db)
        }
    }

    func finishingStatements(for kind: DatabaseKind) -> [String] {
        var statements = ["CREATE UNIQUE INDEX memberships_handle ON memberships (workspace_id, handle)"]
        // New rows always name their handle; PostgreSQL can drop the placeholder default.
        if kind == .postgres { statements.append("ALTER TABLE memberships ALTER COLUMN handle DROP DEFAULT") }
        return statements
    }

    struct Member: Decodable {
        var workspaceID: String
        var principalID: String
        var name: String
    }
}
