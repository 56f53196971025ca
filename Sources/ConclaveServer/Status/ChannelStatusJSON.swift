import ConclaveCore
import ConclaveStore

/// The data of `status.updated` events, which is also the answer to setting a status.
enum ChannelStatusJSON {
    /// `{"principal_id","channel_id","state","text","expires_at","reason"?}`; a cleared status
    /// (`status` nil) is `idle` with no text and no expiry, and says why it ended: `expired`,
    /// `message` (the principal's next message) or `cleared` (it set `idle`).
    static func data(principalID: String, channelID: String, status: ChannelStatus?, expiresAt: Int64?, reason: String? = nil) -> JSONValue {
        var body: [String: JSONValue] = [
            "principal_id": .string(principalID),
            "channel_id": .string(channelID),
            "state": .string((status?.state ?? .idle).rawValue),
            "text": status?.text.map(JSONValue.string) ?? .null,
            "expires_at": expiresAt.map { .string(Clock.rfc3339(milliseconds: $0)) } ?? .null,
        ]
        if let reason { body["reason"] = .string(reason) }
        return .object(body)
    }
}
