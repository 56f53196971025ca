import ConclaveCore
import ConclaveStore
import Foundation
import MCP

/// The tools that change something: each checks its REST route's scope, then calls the same service.
extension MCPToolDispatcher {
    func sendMessage(_ arguments: Data) async throws -> CallTool.Result {
        let principal = try principal.requiring(anyOf: [.messagesWrite])
        let input = try decode(MCPToolArguments.SendMessage.self, arguments)
        let channelID = try Self.id(input.channelID, field: "channel_id", kind: .channel)
        let request = MessageService.SendRequest(
            text: input.text, clientMsgID: input.idempotencyKey, threadID: input.threadID, metadata: nil, kind: nil, approval: nil,
            fileIDs: input.fileIDs
        )
        let result = try await MessageService(dependencies: dependencies).send(principal, channelID: channelID, request: request, clientIP: clientIP)
        var body = MessageJSON.message(result.message)
        if case .object(var fields) = body {
            fields["created"] = .bool(result.created)
            body = .object(fields)
        }
        return MCPToolResult.data(body)
    }

    func editMessage(_ arguments: Data) async throws -> CallTool.Result {
        let principal = try principal.requiring(anyOf: [.messagesWrite])
        let input = try decode(MCPToolArguments.EditMessage.self, arguments)
        let messageID = try Self.id(input.messageID, field: "message_id", kind: .message)
        let (message, reactions) = try await MessageService(dependencies: dependencies).edit(principal, messageID: messageID, text: input.text)
        return MCPToolResult.data(MessageJSON.message(message, reactions: reactions))
    }

    func addReaction(_ arguments: Data) async throws -> CallTool.Result {
        let principal = try principal.requiring(anyOf: [.messagesWrite])
        let input = try decode(MCPToolArguments.AddReaction.self, arguments)
        let messageID = try Self.id(input.messageID, field: "message_id", kind: .message)
        guard let emoji = ReactionEmoji(input.emoji) else { throw ReactionRoutes.invalidEmoji() }
        let reaction = try await ReactionService(dependencies: dependencies).react(principal, messageID: messageID, emoji: emoji, adding: true)
        return MCPToolResult.data(MessageJSON.reaction(reaction))
    }

    func markRead(_ arguments: Data) async throws -> CallTool.Result {
        let principal = try principal.requiring(anyOf: [.messagesRead])
        let input = try decode(MCPToolArguments.MarkRead.self, arguments)
        let channelID = try Self.id(input.channelID, field: "channel_id", kind: .channel)
        let marker = try await ChannelService(dependencies: dependencies).markRead(principal, channelID: channelID) {
            ChannelService.ReadRequest(seq: input.seq)
        }
        return MCPToolResult.data(["channel_id": .string(channelID), "last_read_seq": .int(marker)])
    }

    func setStatus(_ arguments: Data) async throws -> CallTool.Result {
        let principal = try principal.requiring(anyOf: [.messagesWrite])
        let input = try decode(MCPToolArguments.SetStatus.self, arguments)
        let channelID = try Self.id(input.channelID, field: "channel_id", kind: .channel)
        let data = try await ChannelStatusService(dependencies: dependencies).set(principal, channelID: channelID) {
            ChannelStatusService.SetRequest(state: input.state, text: input.text, ttlSeconds: input.ttlSeconds)
        }
        return MCPToolResult.data(data)
    }

    func requestApproval(_ arguments: Data) async throws -> CallTool.Result {
        let principal = try principal.requiring(anyOf: [.messagesWrite])
        let input = try decode(MCPToolArguments.RequestApproval.self, arguments)
        let channelID = try Self.id(input.channelID, field: "channel_id", kind: .channel)
        var approval: [String: JSONValue] = ["approvers": .array(input.approvers.map(JSONValue.string))]
        if let options = input.options { approval["options"] = .array(options.map(JSONValue.string)) }
        if let expiresIn = input.expiresIn { approval["expires_in"] = .int(Int64(expiresIn)) }
        let request = MessageService.SendRequest(
            text: input.text, clientMsgID: input.idempotencyKey, threadID: input.threadID, metadata: nil,
            kind: MessageKind.approvalRequest.rawValue, approval: try MessageService.ApprovalBody(json: .object(approval))
        )
        let result = try await MessageService(dependencies: dependencies).send(principal, channelID: channelID, request: request, clientIP: clientIP)
        return MCPToolResult.data(MessageJSON.message(result.message))
    }
}
