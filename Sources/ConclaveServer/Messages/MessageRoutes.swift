import ConclaveCore
import ConclaveStore
import Foundation
import Hummingbird

/// Messages: post (idempotent by client_msg_id), list by seq, edit, delete.
struct MessageRoutes {
    let dependencies: ServerDependencies

    struct EditRequest: Decodable {
        let text: String
    }

    func register(on router: Router<AppRequestContext>) {
        let router = router.group(context: AuthenticatedRequestContext.self)
        router.post("/api/v1/channels/{ch}/messages") { request, context in try await post(request, context) }
        router.get("/api/v1/channels/{ch}/messages") { request, context in try await list(request, context) }
        router.patch("/api/v1/messages/{msg}") { request, context in try await edit(request, context) }
        router.delete("/api/v1/messages/{msg}") { _, context in try await delete(context) }
    }

    func post(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = try context.principal(with: .messagesWrite)
        let channelID = try context.pathID("ch", kind: .channel)
        let body = try await request.decodeJSON(as: MessageService.SendRequest.self, context: context)
        let result = try await MessageService(dependencies: dependencies).send(principal, channelID: channelID, request: body)
        return JSONResponse.make(
            MessageJSON.message(result.message), status: result.created ? .created : .ok,
            headers: [IdempotencyMiddleware.messageHeader: result.message.id]
        )
    }

    func list(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = try context.principal(with: .messagesRead)
        let channelID = try context.pathID("ch", kind: .channel)
        _ = try await ChannelAccess(dependencies: dependencies).require(principal, channelID: channelID, for: .read)
        let query = request.uri.queryParameters
        func seq(_ name: String) throws -> Int64? {
            guard let text = query.get(name) else { return nil }
            guard let value = Int64(text), value >= 0 else { throw Problem.validation(field: name, "must be a non-negative integer") }
            return value
        }
        var afterSeq = try seq("after_seq")
        var beforeSeq = try seq("before_seq")
        // `cursor` (the contract's generic paging) continues in the page's own direction, so a
        // client that repeats its query with `cursor=<next_cursor>` walks the whole list.
        if let text = query.get("cursor") {
            // Only what this list hands out as next_cursor: 1 to 18 decimal digits.
            guard (1...18).contains(text.utf8.count), text.utf8.allSatisfy({ (48...57).contains($0) }), let cursor = Int64(text) else {
                throw Problem.validation(field: "cursor", "is not a cursor of this list")
            }
            if beforeSeq != nil, afterSeq == nil { beforeSeq = cursor } else { afterSeq = cursor }
        }
        var limit = 50
        if let text = query.get("limit") {
            guard let value = Int(text), (1...200).contains(value) else { throw Problem.validation(field: "limit", "must be an integer from 1 to 200") }
            limit = value
        }
        var threadID: String?
        if let text = query.get("thread_id") {
            guard Identifier.isWellFormed(text, kind: .message) else { throw Problem.validation(field: "thread_id", "must be a message id") }
            threadID = text
        }
        let pageSize = limit
        let thread = threadID
        let (after, before) = (afterSeq, beforeSeq)
        let rows = try await dependencies.database.read { db in
            try await MessageRepository().list(channelID: channelID, afterSeq: after, beforeSeq: before, threadID: thread,
                                               limit: pageSize + 1, on: db)
        }
        let hasMore = rows.count > limit
        let descending = beforeSeq != nil && afterSeq == nil
        let page = hasMore ? (descending ? Array(rows.suffix(limit)) : Array(rows.prefix(limit))) : rows
        var next: JSONValue = .null
        if hasMore, let edge = descending ? page.first : page.last {
            next = .string(String(edge.seq))
        }
        return JSONResponse.make(["data": .array(page.map(MessageJSON.message)), "next_cursor": next])
    }

    func edit(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = try context.principal(with: .messagesWrite)
        let messageID = try context.pathID("msg", kind: .message)
        let body = try await request.decodeJSON(as: EditRequest.self, context: context)
        let message = try await MessageService(dependencies: dependencies).edit(principal, messageID: messageID, text: body.text)
        return JSONResponse.make(MessageJSON.message(message))
    }

    func delete(_ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = try context.principal(with: .messagesWrite)
        let messageID = try context.pathID("msg", kind: .message)
        try await MessageService(dependencies: dependencies).delete(principal, messageID: messageID, clientIP: context.clientIP)
        return Response(status: .noContent)
    }
}
