import ConclaveCore
import ConclaveStore
import Hummingbird

/// `GET /api/v1/workspaces/{ws}/audit`: the workspace's chain, oldest first, for admins and owners.
struct AuditRoutes {
    let dependencies: ServerDependencies

    func register(on router: Router<AppRequestContext>) {
        let router = router.group(context: AuthenticatedRequestContext.self)
        router.get("/api/v1/workspaces/{ws}/audit") { request, context in try await list(request, context) }
    }

    func list(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = context.principal
        let workspaceID = try context.pathID("ws", kind: .workspace)
        _ = try await dependencies.requireRole(principal, in: workspaceID, for: .auditRead)
        let page = try Page(request)
        var afterSeq: Int64 = 0
        if let after = page.after {
            guard let value = Int64(after), value >= 0 else { throw Problem.badRequest("The cursor is not valid.") }
            afterSeq = value
        }
        let query = request.uri.queryParameters
        let action = query.get("action").flatMap { $0.isEmpty ? nil : String($0.prefix(100)) }
        let actor = query.get("actor").flatMap { $0.isEmpty ? nil : String($0.prefix(100)) }
        for (name, value) in [("action", action), ("actor", actor)] where value?.utf8.contains(0) == true {
            throw Problem.validation(field: name, "must not contain the NUL character (U+0000)")
        }
        let startAfter = afterSeq
        let rows = try await dependencies.database.read { db in
            try await AuditRepository().list(
                chain: workspaceID, afterSeq: startAfter, limit: page.limit + 1, action: action, actorID: actor, on: db
            )
        }
        let (items, next) = page.finish(rows) { String($0.seq) }
        return JSONResponse.make(Page.response(items.map(\.json), next: next))
    }
}
