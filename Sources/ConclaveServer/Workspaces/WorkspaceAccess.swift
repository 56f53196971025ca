import ConclaveCore
import ConclaveStore

/// The one place routes ask "may this principal do this in that workspace".
///
/// Not a member (or no such workspace) → 404, so ids of other workspaces reveal nothing.
/// A member whose role lacks the permission → 403.
extension ServerDependencies {
    /// The check before the work: answers 404/403 early, before a body is read.
    func requireRole(_ principal: Principal, in workspaceID: String, for permission: Permission) async throws -> Role {
        let role = try await database.read { db in
            try await WorkspaceRepository().role(of: principal.id, in: workspaceID, on: db)
        }
        return try Self.require(role, for: permission)
    }

    /// The authoritative check, inside the write transaction that acts on it: the membership row
    /// stays locked until the commit, so a demotion committed while the request was in flight is
    /// seen here, and one that comes later waits for this write (never a write after a demotion).
    func requireRole(_ principal: Principal, in workspaceID: String, for permission: Permission, on db: DatabaseSession) async throws -> Role {
        try Self.require(try await WorkspaceRepository().lockedRole(of: principal.id, in: workspaceID, on: db), for: permission)
    }

    private static func require(_ role: Role?, for permission: Permission) throws -> Role {
        guard let role else { throw Problem.notFound }
        guard PermissionTable.allows(role, permission) else {
            throw Problem.forbidden("Your role (\(role.rawValue)) does not allow \(permission.rawValue).")
        }
        return role
    }
}
