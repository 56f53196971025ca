import ConclaveCore
import ConclaveStore
import Foundation

/// The API shape of messages, and the mentions in their text.
enum MessageJSON {
    /// `reactions` as one reader sees them (`me` from its point of view); `forEvent` leaves `me`
    /// out, as an event's data goes to every reader alike.
    static func message(_ message: MessageRecord, reactions: [ReactionCount] = [], forEvent: Bool = false) -> JSONValue {
        var body: [String: JSONValue] = [
            "id": .string(message.id),
            "channel_id": .string(message.channelID),
            "workspace_id": .string(message.workspaceID),
            "seq": .int(message.seq),
            "sender": ["id": .string(message.senderID), "kind": .string(message.senderKind.rawValue)],
            "kind": .string(message.kind.rawValue),
            "text": message.text.map(JSONValue.string) ?? .null,
            "thread_id": message.threadID.map(JSONValue.string) ?? .null,
            "reply_count": .int(message.replyCount),
            "mentions": .array(message.mentions.map(JSONValue.string)),
            "created_at": .string(Clock.rfc3339(milliseconds: message.createdAt)),
            "edited_at": message.editedAt.map { .string(Clock.rfc3339(milliseconds: $0)) } ?? .null,
            "deleted": .bool(message.deletedAt != nil),
            "reactions": .array(reactions.map { Self.reaction($0, forEvent: forEvent) }),
            "provenance": provenance(message.provenance),
            "streaming": .bool(message.streamingUntil != nil),
            "files": .array(FileSummary.decode(message.files).map(\.json)),
        ]
        if let metadata = message.metadata, let value = try? JSONDecoder().decode(JSONValue.self, from: Data(metadata.utf8)) {
            body["metadata"] = value
        } else {
            body["metadata"] = .null
        }
        if let clientMsgID = message.clientMsgID { body["client_msg_id"] = .string(clientMsgID) }
        if message.kind == .approvalRequest {
            // Null once the message is deleted: the request and its answer are erased with it.
            body["approval"] = message.approval.flatMap(ApprovalJSON.decode).map { ApprovalJSON.render($0) } ?? .null
        }
        return .object(body)
    }

    /// `{"emoji","count","me"}`; without `me` in events.
    static func reaction(_ reaction: ReactionCount, forEvent: Bool = false) -> JSONValue {
        var body: [String: JSONValue] = ["emoji": .string(reaction.emoji), "count": .int(reaction.count)]
        if !forEvent { body["me"] = .bool(reaction.me) }
        return .object(body)
    }

    /// `{"kind", "key_id"?, "hops", "trigger_id"}`: `key_id` only for a message sent with an API key.
    static func provenance(_ provenance: MessageProvenance) -> JSONValue {
        var body: [String: JSONValue] = [
            "kind": .string(provenance.kind.rawValue), "hops": .int(provenance.hops),
            "trigger_id": provenance.triggerID.map(JSONValue.string) ?? .null,
        ]
        if let keyID = provenance.keyID { body["key_id"] = .string(keyID) }
        return .object(body)
    }

    /// `<@usr_…>`, `<@agt_…>` and `<!channel>` in message text.
    static func mentions(in text: String) -> [String] {
        var found: [String] = []
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "<") {
            let afterOpen = rest[rest.index(after: open)...]
            guard let close = afterOpen.firstIndex(of: ">") else { break }
            let inner = afterOpen[..<close]
            if inner == "!channel" {
                if !found.contains("channel") { found.append("channel") }
            } else if inner.hasPrefix("@"), Identifier.isWellFormed(inner.dropFirst()) {
                let id = String(inner.dropFirst())
                if (id.hasPrefix("usr_") || id.hasPrefix("agt_")) && !found.contains(id) { found.append(id) }
            }
            rest = afterOpen[afterOpen.index(after: close)...]
            if found.count >= 100 { break }
        }
        return found
    }
}
