/// What happened, as a workspace's event log records it; the raw value is the event's name on
/// the wire (`"event"` in a stream frame) and in the `events.type` column.
public enum EventType: String, Sendable, Codable, CaseIterable {
    case messageCreated = "message.created"
    case messageUpdated = "message.updated"
    case messageDeleted = "message.deleted"
    case channelCreated = "channel.created"
    /// Also a channel's deletion (its data then says `"deleted": true`).
    case channelUpdated = "channel.updated"
    case memberJoined = "member.joined"
    case memberLeft = "member.left"
    case agentPaused = "agent.paused"
    case readUpdated = "read.updated"
    /// A principal reacted to a message (data: message_id, channel_id, emoji, principal_id, count).
    case reactionAdded = "reaction.added"
    case reactionRemoved = "reaction.removed"
    /// Ephemeral: a principal's status in a channel (typing, thinking, working, idle). Fanned
    /// out to live sockets only, never written to the log (data: principal_id, state, text,
    /// expires_at, reason).
    case statusUpdated = "status.updated"
    /// Ephemeral: text appended to a streamed reply (data: message_id, offset, append); never
    /// written to the log (the message row holds the text so far).
    case messageDelta = "message.delta"
    /// An approval request was answered or expired (data: message_id, channel_id, requester_id,
    /// approval); reaches the requester even on `mentions_only` streams.
    case approvalResolved = "approval.resolved"

    /// What an event is about: the part of its name before the dot.
    public enum Subject: Sendable {
        case message, channel, member, agent, read, reaction, status, approval
    }

    public var subject: Subject {
        switch self {
        case .messageCreated, .messageUpdated, .messageDeleted, .messageDelta: .message
        case .channelCreated, .channelUpdated: .channel
        case .memberJoined, .memberLeft: .member
        case .agentPaused: .agent
        case .readUpdated: .read
        case .reactionAdded, .reactionRemoved: .reaction
        case .statusUpdated: .status
        case .approvalResolved: .approval
        }
    }
}
