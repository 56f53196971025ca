import ConclaveCore
import ConclaveStore
import Foundation
import Hummingbird

/// Messages over HTTP: post (idempotent by client_msg_id), list by seq, edit, delete. Each
/// handler decodes, calls `MessageService` once and renders.
struct MessageRoutes {
    let dependencies: ServerDependencies

    var service: MessageService { MessageService(dependencies: dependencies) }

    func register(on router: Router<AppRequestContext>) {
        let router = router.group(context: AuthenticatedRequestContext.self)
        router.post("/api/v1/channels/{ch}/messages") { request, context in try await post(request, context) }
        router.get("/api/v1/channels/{ch}/messages") { request, context in try await list(request, context) }
        router.patch("/api/v1/messages/{msg}") { request, context in try await edit(request, context) }
        router.delete("/api/v1/messages/{msg}") { _, context in try await delete(context) }
        ReactionRoutes(dependencies: dependencies).register(on: router)
        ApprovalRoutes(dependencies: dependencies).register(on: router)
        StreamedReplyRoutes(dependencies: dependencies).register(on: router)
        SearchRoutes(dependencies: dependencies).register(on: router)
    }

    func post(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = try context.principal(with: .messagesWrite)
        let channelID = try context.pathID("ch", kind: .channel)
        let body = try await request.decodeJSON(as: MessageService.SendRequest.self, context: context)
        let result = try await service.send(principal, channelID: channelID, request: body, clientIP: context.clientIP)
        return JSONResponse.make(
            MessageJSON.message(result.message), status: result.created ? .created : .ok,
            headers: [IdempotencyMiddleware.messageHeader: result.message.id]
        )
    }

    func list(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = try context.principal(with: .messagesRead)
        let channelID = try context.pathID("ch", kind: .channel)
        let (messages, reactions, next) = try await service.list(principal, channelID: channelID) { try MessageListQuery(request) }
        let data = messages.map { MessageJSON.message($0, reactions: reactions[$0.id] ?? []) }
        return JSONResponse.make(["data": .array(data), "next_cursor": next.map(JSONValue.string) ?? .null])
    }

    func edit(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = try context.principal(with: .messagesWrite)
        let messageID = try context.pathID("msg", kind: .message)
        let body = try await request.decodeJSON(as: MessageService.EditRequest.self, context: context)
        let (message, reactions) = try await service.edit(principal, messageID: messageID, text: body.text)
        return JSONResponse.make(MessageJSON.message(message, reactions: reactions))
    }

    func delete(_ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = try context.principal(with: .messagesWrite)
        let messageID = try context.pathID("msg", kind: .message)
        try await service.delete(principal, messageID: messageID, clientIP: context.clientIP)
        return Response(status: .noContent)
    }
}
