import ConclaveCore
import ConclaveStore
import Foundation

/// Channel membership: add and remove members, join a public channel, leave; and the
/// `member.joined` record every new membership gets (DMs restoring a member use it too).
struct ChannelMemberService {
    let dependencies: ServerDependencies

    struct AddRequest: Decodable {
        let memberID: String

        enum CodingKeys: String, CodingKey {
            case memberID = "member_id"
        }
    }

    private static let addForbidden = "Only members of the channel who may manage channels can add members."

    /// Adds a workspace member to a channel; the caller must be a member of it whose role may
    /// create channels. Answers the added member's id.
    func add(_ principal: Principal, channelID: String, body: () async throws -> AddRequest) async throws -> String {
        let access = ChannelAccess(dependencies: dependencies)
        let grant = try await access.require(principal, channelID: channelID, for: .read)
        guard grant.isMember, grant.channel.kind == .channel, PermissionTable.allows(grant.role, .channelsCreate) else {
            throw Problem.forbidden(Self.addForbidden)
        }
        let memberID = try await body().memberID
        guard Identifier.isWellFormed(memberID, kind: .user) || Identifier.isWellFormed(memberID, kind: .agent) else {
            throw Problem.validation(field: "member_id", "must be a user or agent id")
        }
        try await dependencies.database.write { db in
            let current = try await access.require(principal, channelID: channelID, for: .read, on: db)
            guard current.isMember, PermissionTable.allows(current.role, .channelsCreate) else { throw Problem.forbidden(Self.addForbidden) }
            guard try await WorkspaceRepository().role(of: memberID, in: grant.channel.workspaceID, on: db) != nil else {
                throw Problem.validation(field: "member_id", "is not a member of this workspace")
            }
            try await addMember(memberID, to: grant.channel, on: db)
        }
        dependencies.events.published(workspaceID: grant.channel.workspaceID)
        return memberID
    }

    /// Removes a member: oneself with read access (leaving), anyone else with manage access.
    func remove(_ principal: Principal, channelID: String, memberID: String) async throws {
        let need: ChannelAccess.Need = memberID == principal.id ? .read : .manage
        let access = ChannelAccess(dependencies: dependencies)
        let grant = try await access.require(principal, channelID: channelID, for: need)
        try await dependencies.database.write { db in
            _ = try await access.require(principal, channelID: channelID, for: need, on: db)
            try await removeMember(memberID, from: grant.channel, on: db)
        }
        dependencies.events.published(workspaceID: grant.channel.workspaceID)
    }

    /// Joins a public channel (a no-op for a member); answers the channel. Any role may join,
    /// viewers and agents included (contract v1.1); whether they may post is the role's matter.
    func join(_ principal: Principal, channelID: String) async throws -> ChannelRecord {
        let access = ChannelAccess(dependencies: dependencies)
        let grant = try await access.require(principal, channelID: channelID, for: .join)
        if grant.isMember { return grant.channel }
        let joined = try await dependencies.database.write { db -> Bool in
            let current = try await access.require(principal, channelID: channelID, for: .join, on: db)
            guard !current.isMember else { return false }
            try await addMember(principal.id, to: current.channel, on: db)
            return true
        }
        guard joined else { return grant.channel }
        dependencies.events.published(workspaceID: grant.channel.workspaceID)
        return grant.channel
    }

    func leave(_ principal: Principal, channelID: String) async throws {
        let grant = try await ChannelAccess(dependencies: dependencies).require(principal, channelID: channelID, for: .read)
        guard grant.isMember else { throw Problem.notFound }
        try await dependencies.database.write { db in try await removeMember(principal.id, from: grant.channel, on: db) }
        dependencies.events.published(workspaceID: grant.channel.workspaceID)
    }

    /// `member.joined` for a membership just added, and where in the log it began (a stream
    /// resumed from before it never replays the channel's earlier events to the newcomer).
    func recordJoin(of memberID: String, to channel: ChannelRecord, on db: DatabaseSession) async throws {
        let joined = try await EventLog().append(
            workspaceID: channel.workspaceID, type: .memberJoined, channelID: channel.id, visibility: .channel,
            data: ["channel_id": .string(channel.id), "member_id": .string(memberID)], now: Clock.milliseconds(), on: db
        )
        try await ChannelRepository().setJoinedSeq(joined.seq, channelID: channel.id, principalID: memberID, on: db)
    }

    /// Adds `memberID` and records `member.joined` in the same transaction.
    private func addMember(_ memberID: String, to channel: ChannelRecord, on db: DatabaseSession) async throws {
        do {
            try await ChannelRepository().addMember(channelID: channel.id, principalID: memberID, now: Clock.milliseconds(), on: db)
        } catch StoreError.conflict {
            throw Problem.conflict("Already a member of this channel.")
        }
        try await recordJoin(of: memberID, to: channel, on: db)
    }

    private func removeMember(_ memberID: String, from channel: ChannelRecord, on db: DatabaseSession) async throws {
        // A DM is the one channel for its set of members (`POST …/dms` keeps answering with it), so
        // a member who left would be handed a channel it can no longer use.
        guard channel.kind != .dm else { throw Problem.conflict("A direct message cannot be left.") }
        // The event goes first, while the leaver is still a member, so it is delivered to them too.
        try await EventLog().append(
            workspaceID: channel.workspaceID, type: .memberLeft, channelID: channel.id, visibility: .channel,
            data: ["channel_id": .string(channel.id), "member_id": .string(memberID)], now: Clock.milliseconds(), on: db
        )
        guard try await ChannelRepository().removeMember(channelID: channel.id, principalID: memberID, on: db) else { throw Problem.notFound }
    }
}
