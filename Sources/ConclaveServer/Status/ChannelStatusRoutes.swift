import ConclaveCore
import Hummingbird

/// `POST /api/v1/channels/{ch}/status`: 200 with the `status.updated` data the channel's members
/// receive (`expires_at` says when it ends by itself).
struct ChannelStatusRoutes {
    let dependencies: ServerDependencies

    func register(on router: Router<AppRequestContext>) {
        router.group(context: AuthenticatedRequestContext.self).post("/api/v1/channels/{ch}/status") { request, context in try await set(request, context) }
    }

    func set(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = try context.principal(with: .messagesWrite)
        let channelID = try context.pathID("ch", kind: .channel)
        let data = try await ChannelStatusService(dependencies: dependencies).set(principal, channelID: channelID) {
            try await request.decodeJSON(as: ChannelStatusService.SetRequest.self, context: context)
        }
        return JSONResponse.make(data)
    }
}
