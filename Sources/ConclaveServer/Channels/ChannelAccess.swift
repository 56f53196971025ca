import ConclaveCore
import ConclaveStore

/// Who may read and write a channel.
///
/// Not a workspace member, or a private channel/DM the principal does not belong to → 404.
/// Reading a public channel: members, admins and owners may; viewers and agents only in channels
/// they belong to, and every role may join a public channel. Posting: channel members whose role allows writing, and, for API keys, the
/// `messages:write` scope. Managing: `ChannelPolicy` (the role decides; being the creator only
/// counts while the role allows managing one's own channels).
struct ChannelAccess {
    enum Need { case read, write, manage, join }

    let dependencies: ServerDependencies

    struct Grant {
        let channel: ChannelRecord
        let role: Role
        let isMember: Bool
    }

    /// The check before the work: answers 404/403 early, before a body is read.
    func require(_ principal: Principal, channelID: String, for need: Need) async throws -> Grant {
        let found = try await dependencies.database.read { db in
            try await ChannelRepository().access(channelID: channelID, principalID: principal.id, on: db)
        }
        guard let found else { throw Problem.notFound }
        return try Self.decide(principal, channel: found.channel, role: found.workspaceRole,
                               isMember: found.isMember, need: need)
    }

    /// The same check inside the write transaction that acts on it, with the principal's
    /// membership row locked until the commit: a role change that commits while the request is in
    /// flight is either seen here or waits for this write, never overtaken by it.
    func require(_ principal: Principal, channelID: String, for need: Need, on db: DatabaseSession) async throws -> Grant {
        guard let found = try await ChannelRepository().access(channelID: channelID, principalID: principal.id, on: db) else {
            throw Problem.notFound
        }
        let role = try await WorkspaceRepository().lockedRole(of: principal.id, in: found.channel.workspaceID, on: db)
        return try Self.decide(principal, channel: found.channel, role: role, isMember: found.isMember, need: need)
    }

    static func decide(_ principal: Principal, channel: ChannelRecord, role: Role?, isMember: Bool, need: Need) throws -> Grant {
        guard let role else { throw Problem.notFound }
        // Joining needs only to see the channel exists (every role sees public ones); the rest
        // need to read it. Either way, one the principal may not see is a 404.
        let visible = need == .join
            ? isMember || ChannelPolicy.mayJoin(role: role, isPrivate: channel.isPrivate)
            : ChannelPolicy.mayRead(role: role, isMember: isMember, isPrivate: channel.isPrivate)
        guard visible else { throw Problem.notFound }
        switch need {
        case .read:
            guard PermissionTable.allows(role, .messagesRead) else { throw Problem.forbidden("Your role cannot read messages.") }
        case .write:
            guard PermissionTable.allows(role, .messagesWrite) else {
                throw Problem.forbidden("Your role (\(role.rawValue)) cannot post messages.")
            }
            guard isMember else { throw Problem.forbidden("Join the channel to post in it.") }
        case .join:
            break
        case .manage:
            let isCreator = channel.createdBy == principal.id
            guard ChannelPolicy.mayManage(role: role, isCreator: isCreator, isDM: channel.kind == .dm) else {
                throw Problem.forbidden("Your role (\(role.rawValue)) may not manage this channel.")
            }
        }
        return Grant(channel: channel, role: role, isMember: isMember)
    }
}
