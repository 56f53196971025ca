import ConclaveCore
import ConclaveStore
import Foundation
import Hummingbird

/// Channel membership: add and remove members, join a public channel, leave.
struct ChannelMemberRoutes {
    let dependencies: ServerDependencies

    struct AddRequest: Decodable {
        let member_id: String
    }

    func register(on router: Router<AppRequestContext>) {
        let router = router.group(context: AuthenticatedRequestContext.self)
        router.post("/api/v1/channels/{ch}/members") { request, context in try await add(request, context) }
        router.delete("/api/v1/channels/{ch}/members/{member}") { _, context in try await remove(context) }
        router.post("/api/v1/channels/{ch}/join") { _, context in try await join(context) }
        router.post("/api/v1/channels/{ch}/leave") { _, context in try await leave(context) }
    }

    /// Adds `memberID` and records `member.joined` in the same transaction.
    func addMember(_ memberID: String, to channel: ChannelRecord, on db: DatabaseSession) async throws {
        do {
            try await ChannelRepository().addMember(channelID: channel.id, principalID: memberID, now: Clock.milliseconds(), on: db)
        } catch StoreError.conflict {
            throw Problem.conflict("Already a member of this channel.")
        }
        try await Self.recordJoin(of: memberID, to: channel, on: db)
    }

    /// `member.joined` for a membership just added, and where in the log it began (a stream
    /// resumed from before it never replays the channel's earlier events to the newcomer).
    static func recordJoin(of memberID: String, to channel: ChannelRecord, on db: DatabaseSession) async throws {
        let joined = try await EventLog().append(
            workspaceID: channel.workspaceID, type: .memberJoined, channelID: channel.id, visibility: .channel,
            data: ["channel_id": .string(channel.id), "member_id": .string(memberID)], now: Clock.milliseconds(), on: db
        )
        try await ChannelRepository().setJoinedSeq(joined.seq, channelID: channel.id, principalID: memberID, on: db)
    }

    func removeMember(_ memberID: String, from channel: ChannelRecord, on db: DatabaseSession) async throws {
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

    func add(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = try context.principal(with: .channelsWrite)
        let channelID = try context.pathID("ch", kind: .channel)
        let grant = try await ChannelAccess(dependencies: dependencies).require(principal, channelID: channelID, for: .read)
        guard grant.isMember, grant.channel.kind == .channel, PermissionTable.allows(grant.role, .channelsCreate) else {
            throw Problem.forbidden("Only members of the channel who may manage channels can add members.")
        }
        let body = try await request.decodeJSON(as: AddRequest.self, context: context)
        guard Identifier.isWellFormed(body.member_id, kind: .user) || Identifier.isWellFormed(body.member_id, kind: .agent) else {
            throw Problem.validation(field: "member_id", "must be a user or agent id")
        }
        try await dependencies.database.write { db in
            let current = try await ChannelAccess(dependencies: dependencies).require(principal, channelID: channelID, for: .read, on: db)
            guard current.isMember, PermissionTable.allows(current.role, .channelsCreate) else {
                throw Problem.forbidden("Only members of the channel who may manage channels can add members.")
            }
            guard try await WorkspaceRepository().role(of: body.member_id, in: grant.channel.workspaceID, on: db) != nil else {
                throw Problem.validation(field: "member_id", "is not a member of this workspace")
            }
            try await addMember(body.member_id, to: grant.channel, on: db)
        }
        dependencies.events.published(workspaceID: grant.channel.workspaceID)
        return JSONResponse.make(["channel_id": .string(channelID), "member_id": .string(body.member_id)], status: .created)
    }

    func remove(_ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = try context.principal(with: .channelsWrite)
        let channelID = try context.pathID("ch", kind: .channel)
        let memberID = try context.pathID("member", kinds: [.user, .agent])
        let need: ChannelAccess.Need = memberID == principal.id ? .read : .manage
        let grant = try await ChannelAccess(dependencies: dependencies).require(principal, channelID: channelID, for: need)
        try await dependencies.database.write { db in
            _ = try await ChannelAccess(dependencies: dependencies).require(principal, channelID: channelID, for: need, on: db)
            try await removeMember(memberID, from: grant.channel, on: db)
        }
        dependencies.events.published(workspaceID: grant.channel.workspaceID)
        return Response(status: .noContent)
    }

    func join(_ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = try context.principal(with: .channelsWrite)
        let channelID = try context.pathID("ch", kind: .channel)
        let grant = try await ChannelAccess(dependencies: dependencies).require(principal, channelID: channelID, for: .read)
        guard !grant.channel.isPrivate else { throw Problem.notFound }
        if grant.isMember { return JSONResponse.make(MessageJSON.channel(grant.channel)) }
        try await dependencies.database.write { db in try await addMember(principal.id, to: grant.channel, on: db) }
        dependencies.events.published(workspaceID: grant.channel.workspaceID)
        return JSONResponse.make(MessageJSON.channel(grant.channel))
    }

    func leave(_ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = try context.principal(with: .channelsWrite)
        let channelID = try context.pathID("ch", kind: .channel)
        let grant = try await ChannelAccess(dependencies: dependencies).require(principal, channelID: channelID, for: .read)
        guard grant.isMember else { throw Problem.notFound }
        try await dependencies.database.write { db in try await removeMember(principal.id, from: grant.channel, on: db) }
        dependencies.events.published(workspaceID: grant.channel.workspaceID)
        return Response(status: .noContent)
    }
}
