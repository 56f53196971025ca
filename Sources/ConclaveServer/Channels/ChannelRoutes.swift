import ConclaveCore
import ConclaveStore
import Foundation
import Hummingbird

/// Channels over HTTP: create, list, read, rename / change topic, delete; read markers. Each
/// handler decodes, calls `ChannelService` once and renders.
struct ChannelRoutes {
    let dependencies: ServerDependencies

    var service: ChannelService { ChannelService(dependencies: dependencies) }

    func register(on router: Router<AppRequestContext>) {
        let router = router.group(context: AuthenticatedRequestContext.self)
        router.post("/api/v1/workspaces/{ws}/channels") { request, context in try await create(request, context) }
        router.get("/api/v1/workspaces/{ws}/channels") { request, context in try await list(request, context) }
        router.get("/api/v1/channels/{ch}") { _, context in try await show(context) }
        router.patch("/api/v1/channels/{ch}") { request, context in try await update(request, context) }
        router.delete("/api/v1/channels/{ch}") { _, context in try await delete(context) }
        router.post("/api/v1/channels/{ch}/read") { request, context in try await markRead(request, context) }
    }

    func create(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = try context.principal(with: .channelsWrite)
        let workspaceID = try context.pathID("ws", kind: .workspace)
        let channel = try await service.create(principal, workspaceID: workspaceID) {
            try await request.decodeJSON(as: ChannelService.CreateRequest.self, context: context)
        }
        return JSONResponse.make(ChannelJSON.channel(channel), status: .created)
    }

    func list(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = try context.principal(with: .channelsRead)
        let workspaceID = try context.pathID("ws", kind: .workspace)
        let (channels, next) = try await service.list(principal, workspaceID: workspaceID) { try Page(request) }
        return JSONResponse.make(Page.response(channels.map { ChannelJSON.detail($0) }, next: next))
    }

    func show(_ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = try context.principal(with: .channelsRead)
        let channelID = try context.pathID("ch", kind: .channel)
        let view = try await service.show(principal, channelID: channelID)
        return JSONResponse.make(ChannelJSON.detail(view))
    }

    func update(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = try context.principal(with: .channelsWrite)
        let channelID = try context.pathID("ch", kind: .channel)
        let channel = try await service.update(principal, channelID: channelID) {
            try await request.decodeJSON(as: ChannelService.UpdateRequest.self, context: context)
        }
        return JSONResponse.make(ChannelJSON.channel(channel))
    }

    func delete(_ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = try context.principal(with: .channelsWrite)
        let channelID = try context.pathID("ch", kind: .channel)
        try await service.delete(principal, channelID: channelID, clientIP: context.clientIP)
        return Response(status: .noContent)
    }

    func markRead(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = try context.principal(with: .messagesRead)
        let channelID = try context.pathID("ch", kind: .channel)
        let marker = try await service.markRead(principal, channelID: channelID) {
            try await request.decodeJSON(as: ChannelService.ReadRequest.self, context: context)
        }
        return JSONResponse.make(["channel_id": .string(channelID), "last_read_seq": .int(marker)])
    }
}
