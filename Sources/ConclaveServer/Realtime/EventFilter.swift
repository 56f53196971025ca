import ConclaveCore
import ConclaveStore

/// Decides, per principal, which events of a workspace it may receive, and keeps its channel
/// membership current as member.joined / member.left events about it go by.
struct EventFilter: Sendable {
    let principal: Principal
    let mentionsOnly: Bool
    /// The channels it belongs to, each with the seq its membership began at: an event of the
    /// channel from before that (a stream resumed from an old cursor) is not its to see.
    var channels: [String: Int64]
    var dmChannels: Set<String>
    /// Set when the principal left or was removed from the workspace: nothing after that is delivered.
    var removed = false

    /// Whether to deliver `event`; updates the membership set as a side effect.
    mutating func admit(_ event: WorkspaceEvent) -> Bool {
        let aboutThisPrincipal = event.channelID == nil && event.data["member_id"]?.stringValue == principal.id
        if event.type == .memberJoined, aboutThisPrincipal {
            // Back in the workspace (or joined it): a member of no channel yet; later events say which.
            removed = false
            channels.removeAll()
            dmChannels.removeAll()
            return true
        }
        guard !removed else { return false }
        if event.type == .memberLeft, aboutThisPrincipal {
            removed = true
            channels.removeAll()
            dmChannels.removeAll()
            return true
        }
        learn(event)
        let visible: Bool
        switch event.visibility {
        case .workspace:
            visible = true
        case .channel:
            // A principal always learns of its own membership changes: a stream resumed after
            // being removed from a channel meanwhile no longer counts it as its own, yet must
            // hear that it left.
            visible = (event.channelID.flatMap { channels[$0] }.map { event.seq >= $0 } ?? false) || isAboutOwnMembership(event)
        case .principal(let id):
            visible = id == principal.id
        }
        defer { forget(event) }
        guard visible, scopeAllows(event.type) else { return false }
        // A reaction never wakes anyone, in DMs neither: an agent reacting to an agent must not
        // become a loop, and a mentions_only stream is what wakes agents.
        if mentionsOnly, event.type.subject == .reaction { return false }
        // What its requester waits for: woken by it even on a mentions_only stream.
        if mentionsOnly, event.type.subject == .approval { return event.data["requester_id"]?.stringValue == principal.id }
        if mentionsOnly, [.message, .channel, .member].contains(event.type.subject) {
            // A notice must not wake an agent, even in its DMs: the guard against agent-to-agent loops.
            if event.type.subject == .message, isNotice(event) { return false }
            // Everything in the caller's DMs (edits, deletions, members too); elsewhere only a new
            // message that mentions it, or an edit that added a mention of it.
            if event.channelID.map({ dmChannels.contains($0) }) ?? false { return true }
            return mentioned(event)
        }
        return true
    }

    /// `mentioned` of a message event: a new message that mentions the principal, or an edit
    /// that added the mention.
    func mentioned(_ event: WorkspaceEvent) -> Bool {
        switch event.type {
        case .messageCreated: mentions(event)
        case .messageUpdated: mentions(event, in: "mentions_added")
        default: false
        }
    }

    /// Whether a message event should wake this principal: never for a notice, nor for a message
    /// it sent itself (`<!channel>` or `<@self>` in its own text).
    func mentions(_ event: WorkspaceEvent, in field: String = "mentions") -> Bool {
        guard !isNotice(event), !isFromPrincipal(event), case .array(let ids)? = event.data[field] else { return false }
        return ids.contains(.string(principal.id)) || ids.contains(.string("channel"))
    }

    func isAboutOwnMembership(_ event: WorkspaceEvent) -> Bool {
        (event.type == .memberJoined || event.type == .memberLeft) && event.data["member_id"]?.stringValue == principal.id
    }

    func isNotice(_ event: WorkspaceEvent) -> Bool {
        event.data["kind"]?.stringValue == MessageKind.notice.rawValue
    }

    func isFromPrincipal(_ event: WorkspaceEvent) -> Bool {
        guard case .object(let sender)? = event.data["sender"] else { return false }
        return sender["id"]?.stringValue == principal.id
    }

    func scopeAllows(_ type: EventType) -> Bool {
        guard let scopes = principal.scopes else { return true }
        switch type.subject {
        case .message, .read, .reaction, .status, .approval: return scopes.contains(.messagesRead)
        case .channel, .member: return scopes.contains(.channelsRead)
        case .agent: return true
        }
    }

    /// Membership gained: applied before the visibility check, so the joiner sees its own join.
    mutating func learn(_ event: WorkspaceEvent) {
        guard let channelID = event.channelID else { return }
        switch event.type {
        case .memberJoined where event.data["member_id"]?.stringValue == principal.id:
            channels[channelID] = event.seq
        case .channelCreated:
            if case .array(let members)? = event.data["member_ids"], members.contains(.string(principal.id)) {
                channels[channelID] = event.seq
                if event.data["kind"]?.stringValue == ChannelKind.dm.rawValue { dmChannels.insert(channelID) }
            }
        default:
            break
        }
    }

    /// Membership lost: applied after delivery, so the leaver still sees its own leave.
    mutating func forget(_ event: WorkspaceEvent) {
        guard let channelID = event.channelID else { return }
        if event.type == .memberLeft, event.data["member_id"]?.stringValue == principal.id {
            channels[channelID] = nil
            dmChannels.remove(channelID)
        }
        if event.type == .channelUpdated, event.data["deleted"] == .bool(true) {
            channels[channelID] = nil
            dmChannels.remove(channelID)
        }
    }

    /// The event as a principal receives it.
    func render(_ event: WorkspaceEvent, cursor: String) -> JSONValue {
        var body: [String: JSONValue] = [
            "type": "event",
            "cursor": .string(cursor),
            "event": .string(event.type.rawValue),
            "workspace_id": .string(event.workspaceID),
            "data": event.data,
        ]
        if let channelID = event.channelID { body["channel_id"] = .string(channelID) }
        if event.type == .messageCreated || event.type == .messageUpdated { body["mentioned"] = .bool(mentioned(event)) }
        return .object(body)
    }

    /// An ephemeral event as a principal receives it: `"ephemeral": true`, and the stream's
    /// current cursor (unchanged by it), so a client that keeps the cursor of every frame still
    /// resumes from the right place.
    func render(ephemeral event: EphemeralEvent, cursor: String) -> JSONValue {
        .object([
            "type": "event",
            "ephemeral": .bool(true),
            "cursor": .string(cursor),
            "event": .string(event.type.rawValue),
            "workspace_id": .string(event.workspaceID),
            "channel_id": .string(event.channelID),
            "data": event.data,
        ])
    }
}
