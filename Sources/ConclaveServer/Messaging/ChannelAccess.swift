import ConclaveCore
import ConclaveStore

/// Who may read and write a channel.
///
/// Not a workspace member, or a private channel/DM the principal does not belong to → 404.
/// Reading a public channel: members, admins and owners may; viewers and agents only in channels
/// they belong to. Posting: channel members whose role allows writing, and, for API keys, the
/// `messages:write` scope.
struct ChannelAccess {
    enum Need { case read, write, manage }

    let dependencies: ServerDependencies

    struct Grant {
        let channel: ChannelRecord
        let role: Role
        let isMember: Bool
    }

    func require(_ principal: Principal, channelID: String, for need: Need) async throws -> Grant {
        let (channel, role, isMember) = try await dependencies.database.read { db -> (ChannelRecord?, Role?, Bool) in
            guard let channel = try await ChannelRepository().find(id: channelID, on: db) else { return (nil, nil, false) }
            let role = try await WorkspaceRepository().role(of: principal.id, in: channel.workspaceID, on: db)
            let isMember = try await ChannelRepository().isMember(channelID: channelID, principalID: principal.id, on: db)
            return (channel, role, isMember)
        }
        guard let channel, let role else { throw Problem.notFound }
        let readsPublicWithoutJoining = !channel.isPrivate && [.owner, .admin, .member].contains(role)
        guard isMember || readsPublicWithoutJoining else { throw Problem.notFound }
        switch need {
        case .read:
            guard PermissionTable.allows(role, .messagesRead) else { throw Problem.forbidden("Your role cannot read messages.") }
        case .write:
            guard PermissionTable.allows(role, .messagesWrite) else {
                throw Problem.forbidden("Your role (\(role.rawValue)) cannot post messages.")
            }
            guard isMember else { throw Problem.forbidden("Join the channel to post in it.") }
        case .manage:
            let isCreator = channel.createdBy == principal.id
            guard isCreator || PermissionTable.allows(role, .channelsManage) else {
                throw Problem.forbidden("Only the channel's creator or an admin may change it.")
            }
        }
        return Grant(channel: channel, role: role, isMember: isMember)
    }
}
