import ConclaveCore
import ConclaveStore

/// Message search in one workspace, over what the caller may read now: the role must read
/// messages (404 outside the workspace, 403 for a role that cannot), and only channels it could
/// list messages of (`ChannelPolicy.mayRead`, as `ChannelAccess` decides for
/// `GET /channels/{ch}/messages`) are searched, decided in the query itself, so a member removed
/// from a channel finds nothing of it from then on.
struct SearchService {
    let dependencies: ServerDependencies

    struct Hit {
        let message: MessageRecord
        let reactions: [ReactionCount]
        let highlight: [Range<Int>]
    }

    func search(_ principal: Principal, workspaceID: String, request readRequest: () throws -> SearchRequest) async throws
        -> (hits: [Hit], nextCursor: JSONValue)
    {
        let role = try await dependencies.requireRole(principal, in: workspaceID, for: .messagesRead)
        let request = try readRequest()
        let scope = SearchRepository.Scope(
            workspaceID: workspaceID, readerID: principal.id,
            readsPublicChannels: ChannelPolicy.mayRead(role: role, isMember: false, isPrivate: false),
            channelID: request.channelID, senderID: request.senderID
        )
        let (rows, reactions) = try await dependencies.database.read { db in
            let rows = try await SearchRepository().search(request.query, in: scope, offset: request.offset, limit: request.limit + 1, on: db)
            return (rows, try await ReactionRepository().counts(messageIDs: rows.map(\.id), readerID: principal.id, on: db))
        }
        let hits = rows.prefix(request.limit).map { message in
            Hit(message: message, reactions: reactions[message.id] ?? [], highlight: request.query.highlights(in: message.text ?? ""))
        }
        return (hits, request.nextCursor(hasMore: rows.count > request.limit))
    }
}
