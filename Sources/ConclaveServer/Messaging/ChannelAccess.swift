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
        let found = try await dependencies.database.read { db in
            try await ChannelRepository().access(channelID: channelID, principalID: principal.id, on: db)
        }
        guard let found, let role = found.workspaceRole.flatMap(Role.init(rawValue:)) else { throw Problem.notFound }
        let channel = found.channel
        let isMember = found.isMember
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
            // Whoever opened a DM does not own it: deleting it would erase the others' messages too.
            let isCreator = channel.createdBy == principal.id && channel.kind != "dm"
            guard isCreator || PermissionTable.allows(role, .channelsManage) else {
                throw Problem.forbidden("Only the channel's creator or an admin may change it.")
            }
        }
        return Grant(channel: channel, role: role, isMember: isMember)
    }
}
