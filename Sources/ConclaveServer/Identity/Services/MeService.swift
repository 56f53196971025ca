import ConclaveCore
import ConclaveStore

/// Who the caller is and where it belongs.
struct MeService {
    let dependencies: ServerDependencies

    struct Profile: Sendable {
        let name: String
        let email: String?
        let memberships: [(workspace: WorkspaceRecord, role: Role)]
        /// A person's: whether TOTP is on (their settings page offers to set it up or turn it off).
        var totpEnabled: Bool? = nil
    }

    /// The caller's profile; a principal whose account is gone is 401.
    func profile(of principal: Principal) async throws -> Profile {
        let (name, email, memberships, totp) = try await dependencies.database.read { db -> (String?, String?, [(WorkspaceRecord, Role)], Bool?) in
            let memberships = try await WorkspaceRepository().workspaces(of: principal.id, after: nil, limit: 1000, on: db)
            if principal.kind == .agent {
                return (try await AgentRepository().find(id: principal.id, on: db)?.name, nil, memberships, nil)
            }
            let user = try await UserRepository().find(id: principal.id, on: db)
            return (user?.name, user?.email, memberships, user?.totpEnabled)
        }
        guard let name else { throw Problem.unauthorized() }
        return Profile(name: name, email: email, memberships: memberships.map { (workspace: $0.0, role: $0.1) }, totpEnabled: totp)
    }
}
