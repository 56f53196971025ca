import ConclaveCore
import ConclaveStore

/// A delivery's body: `{"type","timestamp","data":{...,"occurred_at","cursor"}}`. An event's body
/// is rendered from the event log at each attempt, so an edit or erasure of a message since is
/// honoured by every later attempt (the queue keeps no copy of message text).
enum WebhookPayload {
    static func render(_ event: WorkspaceEvent, for webhook: WebhookRecord) -> JSONValue {
        let occurredAt = JSONValue.string(Clock.rfc3339(milliseconds: event.createdAt))
        var data: [String: JSONValue]
        if case .object(let fields) = event.data { data = fields } else { data = ["value": event.data] }
        data["occurred_at"] = occurredAt
        // The stream cursor just after this event: a receiver can resume the event stream from it.
        data["cursor"] = .string(StreamCursor(positions: [event.workspaceID: event.seq]).encoded)
        if data["workspace_id"] == nil { data["workspace_id"] = .string(event.workspaceID) }
        if let channelID = event.channelID, data["channel_id"] == nil { data["channel_id"] = .string(channelID) }
        if event.type == .messageCreated || event.type == .messageUpdated {
            let subject = WebhookOutbox.subject(of: webhook)
            data["mentioned"] = .bool(EventFilter(principal: subject, mentionsOnly: false, channels: [:], dmChannels: []).mentioned(event))
        }
        return ["type": .string(event.type.rawValue), "timestamp": occurredAt, "data": .object(data)]
    }
}
