/// Workspace roles, highest first. Every principal holds exactly one role per workspace.
public enum Role: String, Sendable, Codable, CaseIterable, Comparable {
    case owner
    case admin
    case member
    case viewer
    case agent

    /// Rank for "may act on" comparisons among human roles; agents sit outside the ladder.
    var rank: Int {
        switch self {
        case .owner: 4
        case .admin: 3
        case .member: 2
        case .viewer: 1
        case .agent: 0
        }
    }

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }

    /// Roles a human can hold (the `agent` role belongs only to agent principals).
    public static let humanRoles: [Role] = [.owner, .admin, .member, .viewer]
}

/// Everything a principal can be allowed to do inside a workspace. Routes ask for one of these;
/// nothing is allowed that is not in `PermissionTable`.
public enum Permission: String, Sendable, CaseIterable {
    case workspaceRead = "workspace.read"
    case workspaceUpdate = "workspace.update"
    case workspaceDelete = "workspace.delete"
    case membersRead = "members.read"
    case membersManage = "members.manage"
    case adminsManage = "admins.manage"
    case invitesManage = "invites.manage"
    case agentsCreate = "agents.create"
    case agentsManage = "agents.manage"
    case agentsPause = "agents.pause"
    case keysManage = "keys.manage"
    case webhooksManage = "webhooks.manage"
    case settingsManage = "settings.manage"
    case auditRead = "audit.read"
    case channelsRead = "channels.read"
    case channelsCreate = "channels.create"
    case channelsManage = "channels.manage"
    /// Rename, delete and remove members of a channel one created (never a DM).
    case channelsManageOwn = "channels.manage_own"
    /// Read a public channel without joining it.
    case publicChannelsRead = "channels.read_public"
    case dmsCreate = "dms.create"
    case messagesRead = "messages.read"
    case messagesWrite = "messages.write"
    case messagesModerate = "messages.moderate"
    case filesRead = "files.read"
    case filesWrite = "files.write"
}

/// The one table of role → permissions. Default deny: a permission not listed for a role is refused.
public enum PermissionTable {
    static let viewer: Set<Permission> = [.workspaceRead, .membersRead, .channelsRead, .messagesRead, .filesRead]
    static let agent: Set<Permission> = [
        .workspaceRead, .membersRead, .channelsRead, .channelsCreate, .channelsManageOwn, .messagesRead, .messagesWrite, .filesRead,
        .filesWrite, .dmsCreate,
    ]
    static let member: Set<Permission> = viewer.union([
        .channelsCreate, .channelsManageOwn, .publicChannelsRead, .dmsCreate, .messagesWrite, .filesWrite, .agentsCreate,
    ])
    static let admin: Set<Permission> = member.union([
        .workspaceUpdate, .membersManage, .invitesManage, .agentsManage, .agentsPause, .keysManage, .webhooksManage, .settingsManage,
        .auditRead, .channelsManage, .messagesModerate,
    ])
    static let owner: Set<Permission> = Set(Permission.allCases)

    public static func permissions(of role: Role) -> Set<Permission> {
        switch role {
        case .owner: owner
        case .admin: admin
        case .member: member
        case .viewer: viewer
        case .agent: agent
        }
    }

    public static func allows(_ role: Role, _ permission: Permission) -> Bool {
        permissions(of: role).contains(permission)
    }

    /// Every role holding `permission`, for checks the database makes in the statement that writes.
    public static func roles(allowing permission: Permission) -> [Role] {
        Role.allCases.filter { allows($0, permission) }
    }
}

/// Rules about who may change whose role; kept here so they are tested without a server.
public enum RolePolicy {
    /// Whether `actor` may give `target` (currently `from`) the role `to`.
    ///
    /// Owners manage everyone. Admins manage members, viewers (and agents) but cannot touch an
    /// owner or another admin, nor grant owner or admin. Nobody else changes roles. The agent role
    /// is never granted to or taken from a human.
    public static func mayChangeRole(actor: Role, from: Role, to: Role) -> Bool {
        if from == .agent || to == .agent { return from == to }
        switch actor {
        case .owner: return true
        case .admin: return from < .admin && to < .admin
        default: return false
        }
    }

    /// Whether `actor` may remove a principal holding `target` from the workspace.
    public static func mayRemove(actor: Role, target: Role) -> Bool {
        switch actor {
        case .owner: return true
        case .admin: return target < .admin
        default: return false
        }
    }
}
