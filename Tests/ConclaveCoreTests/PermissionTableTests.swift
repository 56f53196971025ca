import ConclaveCore
import Testing

/// The expected role → permission matrix, written out by hand so that any change to
/// `PermissionTable` has to be made twice: once in the code, once here on purpose.
@Suite struct PermissionTableTests {
    static let expected: [Role: Set<Permission>] = [
        .owner: Set(Permission.allCases),
        .admin: Set(Permission.allCases).subtracting([.workspaceDelete, .adminsManage]),
        .member: [
            .workspaceRead, .membersRead, .channelsRead, .messagesRead, .filesRead, .channelsCreate, .channelsManageOwn,
            .publicChannelsRead, .dmsCreate, .messagesWrite, .filesWrite, .agentsCreate,
        ],
        .viewer: [.workspaceRead, .membersRead, .channelsRead, .messagesRead, .filesRead],
        .agent: [
            .workspaceRead, .membersRead, .channelsRead, .channelsCreate, .channelsManageOwn, .messagesRead, .messagesWrite, .filesRead,
            .filesWrite, .dmsCreate,
        ],
    ]

    @Test(arguments: Role.allCases)
    func everyPermissionOfEveryRoleIsAsSpecified(role: Role) {
        for permission in Permission.allCases {
            let allowed = PermissionTable.allows(role, permission)
            #expect(allowed == Self.expected[role]!.contains(permission), "\(role.rawValue) / \(permission.rawValue)")
        }
    }

    @Test func viewersCannotWriteAnything() {
        for permission in Permission.allCases where permission.rawValue.hasSuffix(".write") || permission.rawValue.hasSuffix(".create") {
            #expect(!PermissionTable.allows(.viewer, permission))
        }
    }

    @Test func onlyOwnersDeleteWorkspaces() {
        #expect(Role.allCases.filter { PermissionTable.allows($0, .workspaceDelete) } == [.owner])
    }
}

@Suite struct ChannelPolicyTests {
    /// The review found a member demoted to viewer still renaming and deleting the channel they
    /// had created: being its creator must never outrank the role.
    @Test func creatorStatusNeverOutranksTheRole() {
        #expect(!ChannelPolicy.mayManage(role: .viewer, isCreator: true, isDM: false))
        #expect(ChannelPolicy.mayManage(role: .member, isCreator: true, isDM: false))
        #expect(ChannelPolicy.mayManage(role: .agent, isCreator: true, isDM: false))
        #expect(!ChannelPolicy.mayManage(role: .member, isCreator: false, isDM: false))
        #expect(ChannelPolicy.mayManage(role: .admin, isCreator: false, isDM: false))
    }

    @Test func openingADMDoesNotMakeItYours() {
        #expect(!ChannelPolicy.mayManage(role: .member, isCreator: true, isDM: true))
        #expect(ChannelPolicy.mayManage(role: .admin, isCreator: false, isDM: true))
    }

    @Test func publicChannelsAreReadWithoutJoiningOnlyByMembersAdminsAndOwners() {
        for role in Role.allCases {
            let expected = [.owner, .admin, .member].contains(role)
            #expect(ChannelPolicy.mayRead(role: role, isMember: false, isPrivate: false) == expected, "\(role.rawValue)")
            #expect(!ChannelPolicy.mayRead(role: role, isMember: false, isPrivate: true))
            #expect(ChannelPolicy.mayRead(role: role, isMember: true, isPrivate: true))
        }
    }
}

@Suite struct RolePolicyTests {
    @Test func memberCannotGrantAnything() {
        for from in Role.humanRoles {
            for to in Role.humanRoles {
                #expect(!RolePolicy.mayChangeRole(actor: .member, from: from, to: to))
                #expect(!RolePolicy.mayChangeRole(actor: .viewer, from: from, to: to))
            }
        }
    }

    @Test func adminCannotTouchOwnersOrMakeAdmins() {
        #expect(!RolePolicy.mayChangeRole(actor: .admin, from: .owner, to: .member))
        #expect(!RolePolicy.mayChangeRole(actor: .admin, from: .member, to: .admin))
        #expect(!RolePolicy.mayChangeRole(actor: .admin, from: .member, to: .owner))
        #expect(!RolePolicy.mayChangeRole(actor: .admin, from: .admin, to: .member))
        #expect(RolePolicy.mayChangeRole(actor: .admin, from: .member, to: .viewer))
        #expect(RolePolicy.mayChangeRole(actor: .admin, from: .viewer, to: .member))
        #expect(!RolePolicy.mayRemove(actor: .admin, target: .owner))
        #expect(!RolePolicy.mayRemove(actor: .admin, target: .admin))
        #expect(RolePolicy.mayRemove(actor: .admin, target: .member))
    }

    @Test func ownerManagesEveryone() {
        #expect(RolePolicy.mayChangeRole(actor: .owner, from: .member, to: .admin))
        #expect(RolePolicy.mayChangeRole(actor: .owner, from: .admin, to: .owner))
        #expect(RolePolicy.mayRemove(actor: .owner, target: .owner))
    }

    @Test func agentRoleIsNeverGrantedToOrTakenFromHumans() {
        #expect(!RolePolicy.mayChangeRole(actor: .owner, from: .member, to: .agent))
        #expect(!RolePolicy.mayChangeRole(actor: .owner, from: .agent, to: .admin))
    }
}
