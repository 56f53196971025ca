import ConclaveCore
import ConclaveStore
import Foundation

/// The API shapes of channels.
enum ChannelJSON {
    static func channel(_ channel: ChannelRecord) -> JSONValue {
        [
            "id": .string(channel.id),
            "workspace_id": .string(channel.workspaceID),
            "kind": .string(channel.kind.rawValue),
            "name": channel.name.map(JSONValue.string) ?? .null,
            "private": .bool(channel.isPrivate),
            "topic": .string(channel.topic),
            "created_by": .string(channel.createdBy),
            "created_at": .string(Clock.rfc3339(milliseconds: channel.createdAt)),
            "last_seq": .int(channel.lastSeq),
        ]
    }

    /// The channel with the caller's read state (`GET /channels/{ch}` and each item of the list).
    /// A DM also names its members (`member_ids`).
    static func detail(_ view: ChannelService.View) -> JSONValue {
        let state = view.state
        var fields: [String: JSONValue] = [
            "is_member": .bool(state.isMember),
            "last_read_seq": state.lastReadSeq.map(JSONValue.int) ?? .null,
            "unread_count": .int(state.unreadCount),
            "mention_count": .int(state.mentionCount),
        ]
        if let members = view.memberIDs { fields["member_ids"] = .array(members.map(JSONValue.string)) }
        return with(view.channel, fields)
    }

    /// A channel.created event's data: the channel and who belongs to it from the start, so
    /// streams admit the event (and what follows) for its first members.
    static func channelCreated(_ channel: ChannelRecord, members: [String]) -> JSONValue {
        with(channel, ["member_ids": .array(members.map(JSONValue.string))])
    }

    /// The channel's shape with `extra` fields added (the caller's view of it, a DM's members).
    static func with(_ channel: ChannelRecord, _ extra: [String: JSONValue]) -> JSONValue {
        guard case .object(var body) = Self.channel(channel) else { return Self.channel(channel) }
        body.merge(extra) { _, new in new }
        return .object(body)
    }
}
