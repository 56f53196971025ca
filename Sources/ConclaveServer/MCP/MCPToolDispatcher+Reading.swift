import ConclaveCore
import ConclaveStore
import Foundation
import MCP

/// The tools that read: each checks its REST route's scope, then calls the same service.
extension MCPToolDispatcher {
    func whoami(_ arguments: Data) async throws -> CallTool.Result {
        _ = try decode(MCPToolArguments.None.self, arguments)
        let profile = try await MeService(dependencies: dependencies).profile(of: principal)
        return MCPToolResult.data(MeRoutes.body(principal, profile))
    }

    func listChannels(_ arguments: Data) async throws -> CallTool.Result {
        let principal = try principal.requiring(anyOf: [.channelsRead])
        let input = try decode(MCPToolArguments.ListChannels.self, arguments)
        let workspaceID = try await workspace(input.workspaceID)
        let parameters = ["limit": input.limit.map { String($0) }, "cursor": input.cursor]
        let (channels, next) = try await ChannelService(dependencies: dependencies).list(principal, workspaceID: workspaceID) {
            try Page { parameters[$0] ?? nil }
        }
        return MCPToolResult.data(Page.response(channels.map { ChannelJSON.detail($0) }, next: next))
    }

    func readMessages(_ arguments: Data) async throws -> CallTool.Result {
        let principal = try principal.requiring(anyOf: [.messagesRead])
        let input = try decode(MCPToolArguments.ReadMessages.self, arguments)
        let channelID = try Self.id(input.channelID, field: "channel_id", kind: .channel)
        let parameters = [
            "after_seq": input.afterSeq.map { String($0) }, "before_seq": input.beforeSeq.map { String($0) }, "order": input.order,
            "limit": input.limit.map { String($0) }, "cursor": input.cursor,
        ]
        let page = try await messages(principal, channelID: channelID) { parameters[$0] ?? nil }
        return MCPToolResult.data(.object(page), untrusted: true)
    }

    func readThread(_ arguments: Data) async throws -> CallTool.Result {
        let principal = try principal.requiring(anyOf: [.messagesRead])
        let input = try decode(MCPToolArguments.ReadThread.self, arguments)
        let threadID = try Self.id(input.threadID, field: "thread_id", kind: .message)
        let root = try await MessageService(dependencies: dependencies).visibleMessage(principal, messageID: threadID)
        let parameters = ["after_seq": input.afterSeq.map { String($0) }, "limit": input.limit.map { String($0) }, "thread_id": threadID]
        var page = try await messages(principal, channelID: root.channelID) { parameters[$0] ?? nil }
        page["root"] = MessageJSON.message(root)
        return MCPToolResult.data(.object(page), untrusted: true)
    }

    func searchMessages(_ arguments: Data) async throws -> CallTool.Result {
        let principal = try principal.requiring(anyOf: [.messagesRead])
        let input = try decode(MCPToolArguments.SearchMessages.self, arguments)
        let workspaceID = try await workspace(input.workspaceID)
        let parameters = [
            "q": input.q, "channel_id": input.channelID, "sender_id": input.senderID, "limit": input.limit.map { String($0) },
            "cursor": input.cursor,
        ]
        let (hits, next) = try await SearchService(dependencies: dependencies).search(principal, workspaceID: workspaceID) {
            try SearchRequest { parameters[$0] ?? nil }
        }
        return MCPToolResult.data(["data": .array(SearchRoutes.render(hits)), "next_cursor": next], untrusted: true)
    }

    func waitForMentions(_ arguments: Data) async throws -> CallTool.Result {
        let input = try decode(MCPToolArguments.WaitForMentions.self, arguments)
        let wait = input.timeoutSeconds ?? 30
        guard (0...RealtimeRoutes.maxWaitSeconds).contains(wait) else {
            throw Problem.validation(field: "timeout_s", "must be an integer from 0 to \(RealtimeRoutes.maxWaitSeconds)")
        }
        var resume: StreamCursor?
        if let since = input.since, !since.isEmpty {
            guard let cursor = StreamCursor.decode(since) else { throw Problem.validation(field: "since", "is not a cursor from this server") }
            resume = cursor
        }
        let (events, cursor) = try await realtime.collectEvents(for: principal, check: check, resume: resume, mentionsOnly: true, wait: wait)
        return MCPToolResult.data(["events": .array(events), "next_cursor": .string(cursor)], untrusted: true)
    }

    /// A page of messages as `GET /api/v1/channels/{ch}/messages` answers it.
    func messages(
        _ principal: Principal, channelID: String, parameter: @escaping (String) -> String?
    ) async throws -> [String: JSONValue] {
        let (messages, reactions, next) = try await MessageService(dependencies: dependencies).list(principal, channelID: channelID) {
            try MessageListQuery(parameter: parameter)
        }
        let data = messages.map { MessageJSON.message($0, reactions: reactions[$0.id] ?? []) }
        return ["data": .array(data), "next_cursor": next.map(JSONValue.string) ?? .null]
    }

    /// The workspace named, or the caller's only one.
    func workspace(_ named: String?) async throws -> String {
        if let named { return try Self.id(named, field: "workspace_id", kind: .workspace) }
        let memberships = try await MeService(dependencies: dependencies).profile(of: principal).memberships
        guard memberships.count == 1 else {
            throw Problem.validation(field: "workspace_id", "is required: you belong to \(memberships.count) workspaces (see whoami)")
        }
        return memberships[0].workspace.id
    }
}
