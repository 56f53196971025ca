import ConclaveCore
import ConclaveStore
import Hummingbird

/// `POST /api/v1/messages/{msg}/approval {"choice","comment"?}`: 200 with the message, its
/// `approval` answered.
struct ApprovalRoutes {
    let dependencies: ServerDependencies

    func register(on router: RouterGroup<AuthenticatedRequestContext>) {
        router.post("/api/v1/messages/{msg}/approval") { request, context in try await answer(request, context) }
    }

    func answer(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = try context.principal(with: .messagesWrite)
        let messageID = try context.pathID("msg", kind: .message)
        let message = try await ApprovalService(dependencies: dependencies).answer(principal, messageID: messageID, clientIP: context.clientIP) {
            try await request.decodeJSON(as: ApprovalService.AnswerRequest.self, context: context)
        }
        let reactions = try await dependencies.database.read { db in
            try await ReactionRepository().counts(messageIDs: [message.id], readerID: principal.id, on: db)[message.id] ?? []
        }
        return JSONResponse.make(MessageJSON.message(message, reactions: reactions))
    }
}
