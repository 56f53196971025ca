/// The arguments of each tool, decoded as strictly as a REST body (`Request.decodeStrictJSON`:
/// a wrong type or an unknown argument is refused with the field named).
enum MCPToolArguments {
    struct None: Decodable {}

    struct ListChannels: Decodable {
        let workspaceID: String?
        let limit: Int?
        let cursor: String?

        enum CodingKeys: String, CodingKey {
            case limit, cursor
            case workspaceID = "workspace_id"
        }
    }

    struct ReadMessages: Decodable {
        let channelID: String
        let afterSeq: Int64?
        let beforeSeq: Int64?
        let order: String?
        let limit: Int?
        let cursor: String?

        enum CodingKeys: String, CodingKey {
            case order, limit, cursor
            case channelID = "channel_id"
            case afterSeq = "after_seq"
            case beforeSeq = "before_seq"
        }
    }

    struct ReadThread: Decodable {
        let threadID: String
        let afterSeq: Int64?
        let limit: Int?

        enum CodingKeys: String, CodingKey {
            case limit
            case threadID = "thread_id"
            case afterSeq = "after_seq"
        }
    }

    struct SendMessage: Decodable {
        let channelID: String
        let text: String
        let threadID: String?
        let idempotencyKey: String?
        let fileIDs: [String]?

        enum CodingKeys: String, CodingKey {
            case text
            case channelID = "channel_id"
            case threadID = "thread_id"
            case idempotencyKey = "idempotency_key"
            case fileIDs = "file_ids"
        }
    }

    struct EditMessage: Decodable {
        let messageID: String
        let text: String

        enum CodingKeys: String, CodingKey {
            case text
            case messageID = "message_id"
        }
    }

    struct AddReaction: Decodable {
        let messageID: String
        let emoji: String

        enum CodingKeys: String, CodingKey {
            case emoji
            case messageID = "message_id"
        }
    }

    struct SearchMessages: Decodable {
        let q: String
        let workspaceID: String?
        let channelID: String?
        let senderID: String?
        let limit: Int?
        let cursor: String?

        enum CodingKeys: String, CodingKey {
            case q, limit, cursor
            case workspaceID = "workspace_id"
            case channelID = "channel_id"
            case senderID = "sender_id"
        }
    }

    struct SetStatus: Decodable {
        let channelID: String
        let state: String
        let text: String?
        let ttlSeconds: Int?

        enum CodingKeys: String, CodingKey {
            case state, text
            case channelID = "channel_id"
            case ttlSeconds = "ttl_s"
        }
    }

    struct RequestApproval: Decodable {
        let channelID: String
        let text: String
        let approvers: [String]
        let options: [String]?
        let expiresIn: Int?
        let threadID: String?
        let idempotencyKey: String?

        enum CodingKeys: String, CodingKey {
            case text, approvers, options
            case channelID = "channel_id"
            case expiresIn = "expires_in"
            case threadID = "thread_id"
            case idempotencyKey = "idempotency_key"
        }
    }

    struct MarkRead: Decodable {
        let channelID: String
        let seq: Int64

        enum CodingKeys: String, CodingKey {
            case seq
            case channelID = "channel_id"
        }
    }

    struct WaitForMentions: Decodable {
        let since: String?
        let timeoutSeconds: Int?

        enum CodingKeys: String, CodingKey {
            case since
            case timeoutSeconds = "timeout_s"
        }
    }
}

extension MCPToolArguments {
    struct UploadFile: Decodable {
        let workspaceID: String?
        let name: String
        let contentType: String?
        let contentBase64: String

        enum CodingKeys: String, CodingKey {
            case name
            case workspaceID = "workspace_id"
            case contentType = "content_type"
            case contentBase64 = "content_base64"
        }
    }

    struct GetFile: Decodable {
        let fileID: String

        enum CodingKeys: String, CodingKey {
            case fileID = "file_id"
        }
    }
}
