import ConclaveCore
import ConclaveStore
import Hummingbird

/// `GET /api/v1/workspaces/{ws}/audit` (`AuditService`): the workspace's chain, oldest first;
/// `GET …/audit/verify`: whether every entry of it still follows from its predecessor.
struct AuditRoutes {
    let dependencies: ServerDependencies

    func register(on router: Router<AppRequestContext>) {
        let router = router.group(context: AuthenticatedRequestContext.self)
        router.get("/api/v1/workspaces/{ws}/audit") { request, context in try await list(request, context) }
        router.get("/api/v1/workspaces/{ws}/audit/verify") { _, context in try await verify(context) }
    }

    func list(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        let workspaceID = try context.pathID("ws", kind: .workspace)
        let (items, next) = try await AuditService(dependencies: dependencies).list(
            context.principal, workspaceID: workspaceID, query: try Self.query(request)
        )
        return JSONResponse.make(Page.response(items.map(\.json), next: next))
    }

    func verify(_ context: AuthenticatedRequestContext) async throws -> Response {
        let workspaceID = try context.pathID("ws", kind: .workspace)
        let report = try await AuditService(dependencies: dependencies).verify(context.principal, workspaceID: workspaceID)
        return JSONResponse.make([
            "valid": .bool(report.finding == nil),
            "entries": .int(Int64(report.entriesChecked)),
            "first_invalid_seq": report.finding.map { .int($0.seq) } ?? .null,
        ])
    }

    /// The page, its cursor (a chain seq) and the `action` / `actor` filters.
    static func query(_ request: Request) throws -> AuditService.Query {
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
        return AuditService.Query(page: page, afterSeq: afterSeq, action: action, actorID: actor)
    }
}
