import Foundation

/// A client → server frame of the real-time protocol (`GET /api/v1/ws`) after authentication,
/// parsed from the text of one WebSocket message. Pure, so it is unit-tested and fuzzed
/// (Fuzz/Sources/FuzzRealtimeFrame) without a server.
public enum RealtimeClientFrame: Sendable, Equatable {
    /// `{"type": "ping"}`.
    case ping
    /// `{"type": "send", …}`: the fields are checked by the message service, not here.
    case send(RealtimeSendFrame)
    /// `{"type": "stream", "message_id", "append"}` or `{"type": "stream", "message_id", "final": true, "text"?}`.
    case stream(RealtimeStreamFrame)
    /// A JSON object whose `type` this server does not know.
    case unknown(type: String)

    /// Why a frame's text is not a frame.
    public enum ParseError: Error, Sendable, Equatable {
        /// Not a JSON object with a string `type`, or a known field holds the wrong JSON type.
        case notAJSONObjectWithType
    }

    /// Parses one text message. Every field a frame may carry is type-checked whatever the type.
    public static func parse(_ text: String) throws(ParseError) -> RealtimeClientFrame {
        guard let frame = try? JSONDecoder().decode(TypedFrame<RealtimeSendFrame>.self, from: Data(text.utf8)) else {
            throw .notAJSONObjectWithType
        }
        switch frame.type {
        case "ping": return .ping
        case "send": return .send(frame.fields)
        case "stream":
            guard let stream = try? JSONDecoder().decode(TypedFrame<RealtimeStreamFrame>.self, from: Data(text.utf8)) else {
                throw .notAJSONObjectWithType
            }
            return .stream(stream.fields)
        default: return .unknown(type: frame.type)
        }
    }
}

/// The fields of a `send` frame; all optional here.
public struct RealtimeSendFrame: Sendable, Equatable, Decodable {
    public let channelID: String?
    public let text: String?
    public let clientMsgID: String?
    public let threadID: String?
    public let metadata: JSONValue?
    public let kind: String?
    /// A `kind: approval_request` message's `approval` object, checked by the message service.
    public let approval: JSONValue?
    /// Files to attach, checked by the message service.
    public let fileIDs: [String]?

    enum CodingKeys: String, CodingKey {
        case text, metadata, kind, approval
        case fileIDs = "file_ids"
        case channelID = "channel_id"
        case clientMsgID = "client_msg_id"
        case threadID = "thread_id"
    }
}

/// The fields of a `stream` frame; all optional here.
public struct RealtimeStreamFrame: Sendable, Equatable, Decodable {
    public let messageID: String?
    public let append: String?
    public let final: Bool?
    public let text: String?

    enum CodingKeys: String, CodingKey {
        case append, final, text
        case messageID = "message_id"
    }
}

/// A JSON object with a string `type` and the other fields of `Fields`, read from the same object.
private struct TypedFrame<Fields: Decodable>: Decodable {
    let type: String
    let fields: Fields

    private enum CodingKeys: String, CodingKey {
        case type
    }

    init(from decoder: any Decoder) throws {
        type = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .type)
        fields = try Fields(from: decoder)
    }
}

/// The first frame a WebSocket client sends:
/// `{"type": "auth", "token", "resume_from"?, "mentions_only"?}`.
public struct RealtimeAuthFrame: Sendable, Equatable, Decodable {
    /// Longer first frames are refused before they are parsed.
    public static let maxBytes = 8192

    /// An access JWT or an API key (checked by the caller).
    public let token: String
    /// A stream cursor to resume after (`StreamCursorCodec`).
    public let resumeFrom: String?
    /// Deliver only events that mention the principal.
    public let mentionsOnly: Bool?

    enum CodingKeys: String, CodingKey {
        case token
        case resumeFrom = "resume_from"
        case mentionsOnly = "mentions_only"
    }

    /// Why a first frame is not an auth frame (the server closes with 4401 whichever it is).
    public enum ParseError: Error, Sendable, Equatable {
        /// Over `maxBytes` of UTF-8.
        case tooLarge
        /// Not a JSON object with string `type` and `token` and correctly typed optional fields.
        case malformed
        /// A well-formed frame whose `type` is not `auth`.
        case notAuth
    }

    /// Parses the text of the first message.
    public static func parse(_ text: String) throws(ParseError) -> RealtimeAuthFrame {
        guard text.utf8.count <= maxBytes else { throw .tooLarge }
        guard let frame = try? JSONDecoder().decode(TypedFrame<RealtimeAuthFrame>.self, from: Data(text.utf8)) else {
            throw .malformed
        }
        guard frame.type == "auth" else { throw .notAuth }
        return frame.fields
    }
}
