import ConclaveCore
import ConclaveStore

/// The one place routes ask "may this principal do this in that workspace".
///
/// Not a member (or no such workspace) → 404, so ids of other workspaces reveal nothing.
/// A member whose role lacks the permission → 403.
extension ServerDependencies {
    func requireRole(_ principal: Principal, in workspaceID: String, for permission: Permission) async throws -> Role {
        let role = try await database.read { db in
            try await WorkspaceRepository().role(of: principal.id, in: workspaceID, on: db)
        }
        guard let role else { throw Problem.notFound }
        guard PermissionTable.allows(role, permission) else {
            throw Problem.forbidden("Your role (\(role.rawValue)) does not allow \(permission.rawValue).")
        }
        return role
    }
}
