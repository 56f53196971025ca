import ConclaveCore
import Hummingbird

/// `POST /api/v1/messages/{msg}/stream`: `{"append": "…"}` → 200 `{"message_id","offset","length"}`;
/// `{"final": true, "text"?}` → 200 with the finished message.
struct StreamedReplyRoutes {
    let dependencies: ServerDependencies

    func register(on router: RouterGroup<AuthenticatedRequestContext>) {
        router.post("/api/v1/messages/{msg}/stream") { request, context in try await stream(request, context) }
    }

    func stream(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = try context.principal(with: .messagesWrite)
        let messageID = try context.pathID("msg", kind: .message)
        let body = try await request.decodeJSON(as: StreamedReplyService.Request.self, context: context)
        let service = StreamedReplyService(dependencies: dependencies)
        switch (body.append, body.final) {
        case (let append?, nil), (let append?, false?):
            guard body.text == nil else { throw Problem.validation(field: "text", "goes only with final") }
            let appended = try await service.append(principal, messageID: messageID, text: append)
            return JSONResponse.make(["message_id": .string(messageID), "offset": .int(appended.offset), "length": .int(appended.length)])
        case (nil, true?):
            return JSONResponse.make(MessageJSON.message(try await service.finish(principal, messageID: messageID, text: body.text)))
        default:
            throw Problem.validation(field: "append", "send either append (text to add) or final: true")
        }
    }
}
