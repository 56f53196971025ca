import ConclaveCore
import ConclaveStore
import Foundation

/// Direct messages: the one DM channel for a set of members, created on first use (idempotent).
struct DMService {
    let dependencies: ServerDependencies

    struct OpenRequest: Decodable {
        let memberIDs: [String]

        enum CodingKeys: String, CodingKey {
            case memberIDs = "member_ids"
        }
    }

    struct Opened: Sendable {
        let channel: ChannelRecord
        /// Everyone in the DM, the caller included, sorted.
        let members: [String]
        let created: Bool
        /// Created, or members restored: events were recorded.
        let changed: Bool
    }

    /// The DM between the caller and `memberIDs`, created if needed.
    func open(_ principal: Principal, workspaceID: String, body: () async throws -> OpenRequest) async throws -> Opened {
        _ = try await dependencies.requireRole(principal, in: workspaceID, for: .dmsCreate)
        let members = try Self.members(of: try await body(), with: principal)
        let dmKey = members.joined(separator: ",")
        let opened: Opened
        do {
            opened = try await openOrCreate(workspaceID: workspaceID, dmKey: dmKey, members: members, principal: principal)
        } catch StoreError.conflict {
            // Both sides opened the DM at once; the other insert won.
            guard let existing = try await dependencies.database.read({ db in
                try await ChannelRepository().findDM(workspaceID: workspaceID, dmKey: dmKey, on: db)
            }) else { throw StoreError.conflict }
            opened = Opened(channel: existing, members: members, created: false, changed: false)
        }
        if opened.changed { dependencies.events.published(workspaceID: workspaceID) }
        return opened
    }

    /// The DM's members, sorted: the named ones and the caller, 2 to 16 users or agents.
    private static func members(of request: OpenRequest, with principal: Principal) throws -> [String] {
        // The list itself is bounded, not only the set it names: repeats are not free to send.
        guard request.memberIDs.count <= 16 else { throw Problem.validation(field: "member_ids", "must name 1 to 15 other users or agents") }
        let members = Set(request.memberIDs).union([principal.id])
        guard members.count >= 2, members.count <= 16,
            members.allSatisfy({ Identifier.isWellFormed($0, kind: .user) || Identifier.isWellFormed($0, kind: .agent) })
        else {
            throw Problem.validation(field: "member_ids", "must name 1 to 15 other users or agents")
        }
        return members.sorted()
    }

    /// The DM for `members`, created if needed. Everyone must still be in the workspace, also for
    /// an existing DM; someone removed from the workspace lost their DM memberships, and back in
    /// it gets them back (with `member.joined`), so the DM is theirs to use again.
    private func openOrCreate(workspaceID: String, dmKey: String, members: [String], principal: Principal) async throws -> Opened {
        try await dependencies.database.write { db -> Opened in
            _ = try await dependencies.requireRole(principal, in: workspaceID, for: .dmsCreate, on: db)
            let channels = ChannelRepository()
            for member in members where try await WorkspaceRepository().role(of: member, in: workspaceID, on: db) == nil {
                throw Problem.validation(field: "member_ids", "\(member) is not a member of this workspace")
            }
            if let existing = try await channels.findDM(workspaceID: workspaceID, dmKey: dmKey, on: db) {
                var restored = false
                let now = Clock.milliseconds()
                // Conditional, so two people opening the DM at once restore a member once.
                for member in members where try await channels.addMemberIfAbsent(channelID: existing.id, principalID: member, now: now, on: db) {
                    try await ChannelMemberService(dependencies: dependencies).recordJoin(of: member, to: existing, on: db)
                    restored = true
                }
                return Opened(channel: existing, members: members, created: false, changed: restored)
            }
            let now = Clock.milliseconds()
            let id = Identifier.generate(.channel)
            try await channels.insertDM(id: id, workspaceID: workspaceID, dmKey: dmKey, createdBy: principal.id, now: now, on: db)
            for member in members {
                try await channels.addMember(channelID: id, principalID: member, now: now, on: db)
            }
            guard let channel = try await channels.find(id: id, on: db) else { throw Problem.notFound }
            let created = try await EventLog().append(
                workspaceID: workspaceID, type: .channelCreated, channelID: id, visibility: .channel,
                data: ChannelJSON.channelCreated(channel, members: members), now: now, on: db
            )
            try await channels.setJoinedSeq(created.seq, channelID: id, on: db)
            return Opened(channel: channel, members: members, created: true, changed: true)
        }
    }
}
