import ConclaveCore
import ConclaveStore
import Foundation
import Hummingbird

/// Channel membership over HTTP: add and remove members, join a public channel, leave. Each
/// handler decodes, calls `ChannelMemberService` once and renders.
struct ChannelMemberRoutes {
    let dependencies: ServerDependencies

    var service: ChannelMemberService { ChannelMemberService(dependencies: dependencies) }

    func register(on router: Router<AppRequestContext>) {
        let router = router.group(context: AuthenticatedRequestContext.self)
        router.post("/api/v1/channels/{ch}/members") { request, context in try await add(request, context) }
        router.delete("/api/v1/channels/{ch}/members/{member}") { _, context in try await remove(context) }
        router.post("/api/v1/channels/{ch}/join") { _, context in try await join(context) }
        router.post("/api/v1/channels/{ch}/leave") { _, context in try await leave(context) }
    }

    func add(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = try context.principal(with: .channelsWrite)
        let channelID = try context.pathID("ch", kind: .channel)
        let memberID = try await service.add(principal, channelID: channelID) {
            try await request.decodeJSON(as: ChannelMemberService.AddRequest.self, context: context)
        }
        return JSONResponse.make(["channel_id": .string(channelID), "member_id": .string(memberID)], status: .created)
    }

    func remove(_ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = try context.principal(with: .channelsWrite)
        let channelID = try context.pathID("ch", kind: .channel)
        let memberID = try context.pathID("member", kinds: [.user, .agent])
        try await service.remove(principal, channelID: channelID, memberID: memberID)
        return Response(status: .noContent)
    }

    func join(_ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = try context.principal(with: .channelsWrite)
        let channelID = try context.pathID("ch", kind: .channel)
        return JSONResponse.make(ChannelJSON.channel(try await service.join(principal, channelID: channelID)))
    }

    func leave(_ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = try context.principal(with: .channelsWrite)
        let channelID = try context.pathID("ch", kind: .channel)
        try await service.leave(principal, channelID: channelID)
        return Response(status: .noContent)
    }
}
