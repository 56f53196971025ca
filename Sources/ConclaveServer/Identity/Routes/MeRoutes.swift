import ConclaveCore
import ConclaveStore
import Hummingbird

/// `GET /api/v1/me`: who the caller is and where it belongs.
struct MeRoutes {
    let dependencies: ServerDependencies

    func register(on router: Router<AppRequestContext>) {
        let router = router.group(context: AuthenticatedRequestContext.self)
        router.get("/api/v1/me") { _, context in try await me(context) }
    }

    func me(_ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = context.principal
        let (name, email, memberships) = try await dependencies.database.read { db -> (String?, String?, [(WorkspaceRecord, Role)]) in
            let memberships = try await WorkspaceRepository().workspaces(of: principal.id, after: nil, limit: 1000, on: db)
            if principal.kind == .agent {
                return (try await AgentRepository().find(id: principal.id, on: db)?.name, nil, memberships)
            }
            let user = try await UserRepository().find(id: principal.id, on: db)
            return (user?.name, user?.email, memberships)
        }
        guard let name else { throw Problem.unauthorized() }
        var body: [String: JSONValue] = [
            "id": .string(principal.id),
            "kind": .string(principal.kind.rawValue),
            "name": .string(name),
            "workspaces": .array(memberships.map { workspace, role in ["id": .string(workspace.id), "role": .string(role.rawValue)] }),
        ]
        if let email { body["email"] = .string(email) }
        if let scopes = principal.scopes { body["scopes"] = .array(scopes.map(\.rawValue).sorted().map(JSONValue.string)) }
        return JSONResponse.make(.object(body))
    }
}
