import ConclaveCore
import ConclaveStore
import Foundation
import Hummingbird

/// `POST /api/v1/workspaces/{ws}/dms`: the one DM channel for a set of members (idempotent):
/// decodes, calls `DMService` once and renders.
struct DMRoutes {
    let dependencies: ServerDependencies

    func register(on router: Router<AppRequestContext>) {
        let router = router.group(context: AuthenticatedRequestContext.self)
        router.post("/api/v1/workspaces/{ws}/dms") { request, context in try await open(request, context) }
    }

    func open(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = try context.principal(with: .channelsWrite)
        let workspaceID = try context.pathID("ws", kind: .workspace)
        let opened = try await DMService(dependencies: dependencies).open(principal, workspaceID: workspaceID) {
            try await request.decodeJSON(as: DMService.OpenRequest.self, context: context)
        }
        return JSONResponse.make(
            ChannelJSON.with(opened.channel, ["member_ids": .array(opened.members.map(JSONValue.string))]),
            status: opened.created ? .created : .ok
        )
    }
}
