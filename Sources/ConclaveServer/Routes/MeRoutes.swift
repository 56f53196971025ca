import ConclaveCore
import ConclaveStore
import Hummingbird

/// `GET /api/v1/me`: who the caller is and where it belongs.
struct MeRoutes {
    let dependencies: ServerDependencies

    func register(on router: Router<AppRequestContext>) {
        router.get("/api/v1/me") { _, context in try await me(context) }
    }

    func me(_ context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let (user, memberships) = try await dependencies.database.read { db in
            let user = try await UserRepository().find(id: principal.id, on: db)
            let memberships = try await WorkspaceRepository().workspaces(of: principal.id, after: nil, limit: 1000, on: db)
            return (user, memberships)
        }
        guard let user else { throw Problem.unauthorized() }
        var body: [String: JSONValue] = [
            "id": .string(user.id),
            "kind": .string(principal.kind.rawValue),
            "name": .string(user.name),
            "workspaces": .array(memberships.map { workspace, role in ["id": .string(workspace.id), "role": .string(role.rawValue)] }),
        ]
        if let email = user.email { body["email"] = .string(email) }
        return JSONResponse.make(.object(body))
    }
}
