import ConclaveCore
import Hummingbird

/// `GET /api/v1/workspaces/{ws}/search`: messages matching `q`, best match first, each the
/// message as lists show it plus `highlight`, the matched words as `{"start","end"}` offsets
/// into `text` counted in Unicode code points (end exclusive). Offsets, not markup: the text is
/// never rewritten with markers a client might render as HTML.
struct SearchRoutes {
    let dependencies: ServerDependencies

    func register(on router: RouterGroup<AuthenticatedRequestContext>) {
        router.get("/api/v1/workspaces/{ws}/search") { request, context in try await search(request, context) }
    }

    func search(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = try context.principal(with: .messagesRead)
        let workspaceID = try context.pathID("ws", kind: .workspace)
        let (hits, next) = try await SearchService(dependencies: dependencies).search(principal, workspaceID: workspaceID) {
            try SearchRequest(request)
        }
        return JSONResponse.make(Page.response(Self.render(hits), next: next))
    }

    /// Each hit as lists show its message, plus `highlight`.
    static func render(_ hits: [SearchService.Hit]) -> [JSONValue] {
        hits.map { hit -> JSONValue in
            guard case .object(var body) = MessageJSON.message(hit.message, reactions: hit.reactions) else { return .null }
            body["highlight"] = .array(hit.highlight.map { ["start": .int(Int64($0.lowerBound)), "end": .int(Int64($0.upperBound))] })
            return .object(body)
        }
    }
}
