import ConclaveCore
import ConclaveStore
import Foundation
import Hummingbird
import Logging
import MCP

/// Runs one tool call for the authenticated principal of the `POST /mcp` request. Each tool
/// checks the scope its REST route checks (`Principal.requiring`) and then calls the same
/// service method, so roles, channel visibility, rate limits, loop budget and audit are the
/// REST API's own. A refusal (any `Problem`) becomes a tool error carrying its status; only an
/// unknown tool is a JSON-RPC error.
struct MCPToolDispatcher {
    let dependencies: ServerDependencies
    let realtime: RealtimeRoutes
    let principal: Principal
    let clientIP: String
    /// The request's credential, re-checked before `wait_for_mentions` delivers anything.
    let check: CredentialCheck
    let logger: Logger

    func call(_ name: String, arguments: [String: Value]?) async throws -> CallTool.Result {
        guard MCPToolCatalog.names.contains(name) else { throw MCPError.invalidParams("Unknown tool: \(name)") }
        do {
            return try await run(name, arguments: try Self.encode(arguments))
        } catch let problem as Problem {
            return MCPToolResult.refusal(problem)
        } catch let error as StoreError {
            return MCPToolResult.refusal(Problem(error))
        } catch {
            // Internal: the type name goes to the log; the model learns nothing more than REST would.
            logger.error("mcp tool failed", metadata: ["tool": .string(name), "error_type": .string(String(reflecting: type(of: error)))])
            return MCPToolResult.refusal(.internalError)
        }
    }

    private func run(_ name: String, arguments: Data) async throws -> CallTool.Result {
        switch name {
        case "whoami":
            _ = try decode(MCPToolArguments.None.self, arguments)
            let profile = try await MeService(dependencies: dependencies).profile(of: principal)
            return MCPToolResult.data(MeRoutes.body(principal, profile))
        case "list_channels":
            let principal = try principal.requiring(anyOf: [.channelsRead])
            let input = try decode(MCPToolArguments.ListChannels.self, arguments)
            let workspaceID = try await workspace(input.workspaceID)
            let parameters = ["limit": input.limit.map { String($0) }, "cursor": input.cursor]
            let (channels, next) = try await ChannelService(dependencies: dependencies).list(principal, workspaceID: workspaceID) {
                try Page { parameters[$0] ?? nil }
            }
            return MCPToolResult.data(Page.response(channels.map { ChannelJSON.detail($0) }, next: next))
        case "read_messages":
            let principal = try principal.requiring(anyOf: [.messagesRead])
            let input = try decode(MCPToolArguments.ReadMessages.self, arguments)
            let channelID = try Self.id(input.channelID, field: "channel_id", kind: .channel)
            let parameters = [
                "after_seq": input.afterSeq.map { String($0) }, "before_seq": input.beforeSeq.map { String($0) }, "order": input.order,
                "limit": input.limit.map { String($0) }, "cursor": input.cursor,
            ]
            let page = try await messages(principal, channelID: channelID) { parameters[$0] ?? nil }
            return MCPToolResult.data(.object(page), untrusted: true)
        case "read_thread":
            let principal = try principal.requiring(anyOf: [.messagesRead])
            let input = try decode(MCPToolArguments.ReadThread.self, arguments)
            let threadID = try Self.id(input.threadID, field: "thread_id", kind: .message)
            let root = try await MessageService(dependencies: dependencies).visibleMessage(principal, messageID: threadID)
            let parameters = ["after_seq": input.afterSeq.map { String($0) }, "limit": input.limit.map { String($0) }, "thread_id": threadID]
            var page = try await messages(principal, channelID: root.channelID) { parameters[$0] ?? nil }
            page["root"] = MessageJSON.message(root)
            return MCPToolResult.data(.object(page), untrusted: true)
        case "send_message":
            let principal = try principal.requiring(anyOf: [.messagesWrite])
            let input = try decode(MCPToolArguments.SendMessage.self, arguments)
            let channelID = try Self.id(input.channelID, field: "channel_id", kind: .channel)
            let request = MessageService.SendRequest(
                text: input.text, clientMsgID: input.idempotencyKey, threadID: input.threadID, metadata: nil, kind: nil
            )
            let result = try await MessageService(dependencies: dependencies).send(principal, channelID: channelID, request: request, clientIP: clientIP)
            var body = MessageJSON.message(result.message)
            if case .object(var fields) = body {
                fields["created"] = .bool(result.created)
                body = .object(fields)
            }
            return MCPToolResult.data(body)
        case "edit_message":
            let principal = try principal.requiring(anyOf: [.messagesWrite])
            let input = try decode(MCPToolArguments.EditMessage.self, arguments)
            let messageID = try Self.id(input.messageID, field: "message_id", kind: .message)
            let (message, reactions) = try await MessageService(dependencies: dependencies).edit(principal, messageID: messageID, text: input.text)
            return MCPToolResult.data(MessageJSON.message(message, reactions: reactions))
        case "add_reaction":
            let principal = try principal.requiring(anyOf: [.messagesWrite])
            let input = try decode(MCPToolArguments.AddReaction.self, arguments)
            let messageID = try Self.id(input.messageID, field: "message_id", kind: .message)
            guard let emoji = ReactionEmoji(input.emoji) else { throw ReactionRoutes.invalidEmoji() }
            let reaction = try await ReactionService(dependencies: dependencies).react(principal, messageID: messageID, emoji: emoji, adding: true)
            return MCPToolResult.data(MessageJSON.reaction(reaction))
        case "mark_read":
            let principal = try principal.requiring(anyOf: [.messagesRead])
            let input = try decode(MCPToolArguments.MarkRead.self, arguments)
            let channelID = try Self.id(input.channelID, field: "channel_id", kind: .channel)
            let marker = try await ChannelService(dependencies: dependencies).markRead(principal, channelID: channelID) {
                ChannelService.ReadRequest(seq: input.seq)
            }
            return MCPToolResult.data(["channel_id": .string(channelID), "last_read_seq": .int(marker)])
        case "wait_for_mentions":
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
        default:
            throw MCPError.invalidParams("Unknown tool: \(name)")
        }
    }

    /// A page of messages as `GET /api/v1/channels/{ch}/messages` answers it.
    private func messages(
        _ principal: Principal, channelID: String, parameter: @escaping (String) -> String?
    ) async throws -> [String: JSONValue] {
        let (messages, reactions, next) = try await MessageService(dependencies: dependencies).list(principal, channelID: channelID) {
            try MessageListQuery(parameter: parameter)
        }
        let data = messages.map { MessageJSON.message($0, reactions: reactions[$0.id] ?? []) }
        return ["data": .array(data), "next_cursor": next.map(JSONValue.string) ?? .null]
    }

    /// The workspace named, or the caller's only one.
    private func workspace(_ named: String?) async throws -> String {
        if let named { return try Self.id(named, field: "workspace_id", kind: .workspace) }
        let memberships = try await MeService(dependencies: dependencies).profile(of: principal).memberships
        guard memberships.count == 1 else {
            throw Problem.validation(field: "workspace_id", "is required: you belong to \(memberships.count) workspaces (see whoami)")
        }
        return memberships[0].workspace.id
    }

    private func decode<T: Decodable>(_ type: T.Type, _ arguments: Data) throws -> T {
        try Request.decodeStrictJSON(arguments, as: T.self)
    }

    /// An id argument: not shaped like an id → 422 naming it; an id of another kind → 404, as a path would be.
    static func id(_ value: String, field: String, kind: IdentifierKind) throws -> String {
        guard Identifier.isWellFormed(value) else { throw Problem.validation(field: field, "is not a valid identifier") }
        guard Identifier.isWellFormed(value, kind: kind) else { throw Problem.notFound }
        return value
    }

    static func encode(_ arguments: [String: Value]?) throws -> Data {
        try JSONEncoder().encode(arguments ?? [:])
    }
}
