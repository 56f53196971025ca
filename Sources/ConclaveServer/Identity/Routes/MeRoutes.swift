import ConclaveCore
import ConclaveStore
import Hummingbird

/// `GET /api/v1/me`: who the caller is and where it belongs (`MeService`).
struct MeRoutes {
    let dependencies: ServerDependencies

    func register(on router: Router<AppRequestContext>) {
        let router = router.group(context: AuthenticatedRequestContext.self)
        router.get("/api/v1/me") { _, context in try await me(context) }
    }

    func me(_ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = context.principal
        let profile = try await MeService(dependencies: dependencies).profile(of: principal)
        return JSONResponse.make(Self.body(principal, profile))
    }

    /// The caller as `GET /api/v1/me` (and MCP's `whoami`) shows it.
    static func body(_ principal: Principal, _ profile: MeService.Profile) -> JSONValue {
        var body: [String: JSONValue] = [
            "id": .string(principal.id),
            "kind": .string(principal.kind.rawValue),
            "name": .string(profile.name),
            "workspaces": .array(profile.memberships.map { ["id": .string($0.workspace.id), "role": .string($0.role.rawValue)] }),
        ]
        if let email = profile.email { body["email"] = .string(email) }
        if let totp = profile.totpEnabled { body["totp_enabled"] = .bool(totp) }
        if let scopes = principal.scopes { body["scopes"] = .array(scopes.map(\.rawValue).sorted().map(JSONValue.string)) }
        return .object(body)
    }
}
