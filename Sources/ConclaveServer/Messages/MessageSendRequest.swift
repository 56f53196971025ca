import ConclaveCore
import ConclaveStore
import Foundation

extension MessageService {
    /// A message to post, from a REST body or a WebSocket `send` frame.
    struct SendRequest: Decodable, Sendable {
        let text: String
        let clientMsgID: String?
        let threadID: String?
        let metadata: JSONValue?
        let kind: String?
        let approval: ApprovalBody?
        /// A reply streamed by appends (`POST /messages/{msg}/stream`) until its final.
        var stream: Bool? = nil
        /// Files to attach (≤ 10), each uploaded by the sender or readable by it.
        var fileIDs: [String]? = nil

        enum CodingKeys: String, CodingKey {
            case text, metadata, kind, approval, stream
            case fileIDs = "file_ids"
            case clientMsgID = "client_msg_id"
            case threadID = "thread_id"
        }
    }

    /// `approval` of a `kind: approval_request` message.
    struct ApprovalBody: Decodable, Sendable {
        let approvers: [String]
        let options: [String]?
        let expiresIn: Int?

        enum CodingKeys: String, CodingKey {
            case approvers, options
            case expiresIn = "expires_in"
        }

        /// From a WebSocket `send` frame, whose fields arrive as JSON.
        init(json: JSONValue) throws {
            guard let data = try? JSONEncoder().encode(json), let body = try? JSONDecoder().decode(Self.self, from: data) else {
                throw Problem.validation(field: "approval", "must be an object with approvers (ids), options (strings) and expires_in (seconds)")
            }
            self = body
        }
    }

    /// Every field error of `request` at once; answers the metadata's canonical text and, for an
    /// approval request, its approval (approvers not yet checked against the channel).
    func validated(_ request: SendRequest) throws -> (metadata: String?, approval: Approval?) {
        var errors: [FieldError] = []
        let length = request.text.count
        // A streamed reply may start empty: its text arrives by appends.
        let minimum = request.stream == true ? 0 : 1
        if length < minimum || length > dependencies.configuration.maxMessageLength {
            errors.append(FieldError(field: "text", message: "must be \(minimum) to \(dependencies.configuration.maxMessageLength) characters"))
        }
        if request.stream == true, request.kind == MessageKind.approvalRequest.rawValue {
            errors.append(FieldError(field: "stream", message: "an approval request is not streamed"))
        }
        if let clientMsgID = request.clientMsgID, clientMsgID.isEmpty || clientMsgID.utf8.count > 128 {
            errors.append(FieldError(field: "client_msg_id", message: "must be 1 to 128 characters"))
        }
        // REST bodies are refused for a NUL anywhere before they get here (RequestDecoding); a
        // WebSocket `send` frame is not, and PostgreSQL cannot store the character.
        let nul = "must not contain the NUL character (U+0000)"
        if request.text.utf8.contains(0) { errors.append(FieldError(field: "text", message: nul)) }
        if request.clientMsgID?.utf8.contains(0) == true { errors.append(FieldError(field: "client_msg_id", message: nul)) }
        if request.metadata?.containsNULCharacter == true { errors.append(FieldError(field: "metadata", message: nul)) }
        if let kind = request.kind, MessageKind(rawValue: kind) == nil {
            errors.append(FieldError(field: "kind", message: "must be message, notice or approval_request"))
        }
        let isRequest = request.kind == MessageKind.approvalRequest.rawValue
        if isRequest, request.approval == nil {
            errors.append(FieldError(field: "approval", message: "is required with kind approval_request"))
        } else if !isRequest, request.approval != nil {
            errors.append(FieldError(field: "approval", message: "is only for kind approval_request"))
        }
        if let threadID = request.threadID, !Identifier.isWellFormed(threadID, kind: .message) {
            errors.append(FieldError(field: "thread_id", message: "must be a message id"))
        }
        var metadataText: String?
        if let metadata = request.metadata {
            guard case .object = metadata else {
                errors.append(FieldError(field: "metadata", message: "must be a JSON object"))
                throw Problem.validation(errors)
            }
            let text = metadata.canonicalString
            if text.utf8.count > Self.maxMetadataBytes {
                errors.append(FieldError(field: "metadata", message: "must be at most 16 KiB"))
            }
            metadataText = text
        }
        var approval: Approval?
        if request.kind == MessageKind.approvalRequest.rawValue, let body = request.approval {
            switch Approval.requested(approvers: body.approvers, options: body.options, expiresInSeconds: body.expiresIn, now: Clock.milliseconds()) {
            case .success(let valid): approval = valid
            case .failure(let invalid): errors.append(FieldError(field: invalid.field, message: invalid.message))
            }
        }
        if !errors.isEmpty { throw Problem.validation(errors) }
        return (metadataText, approval)
    }
}

extension MessageService.SendRequest {
    /// `text` may be left out of a streamed reply (it starts empty); otherwise it is required.
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let stream = try container.decodeIfPresent(Bool.self, forKey: .stream)
        if stream == true {
            text = try container.decodeIfPresent(String.self, forKey: .text) ?? ""
        } else {
            text = try container.decode(String.self, forKey: .text)
        }
        self.stream = stream
        clientMsgID = try container.decodeIfPresent(String.self, forKey: .clientMsgID)
        threadID = try container.decodeIfPresent(String.self, forKey: .threadID)
        metadata = try container.decodeIfPresent(JSONValue.self, forKey: .metadata)
        kind = try container.decodeIfPresent(String.self, forKey: .kind)
        approval = try container.decodeIfPresent(MessageService.ApprovalBody.self, forKey: .approval)
        fileIDs = try container.decodeIfPresent([String].self, forKey: .fileIDs)
    }
}
