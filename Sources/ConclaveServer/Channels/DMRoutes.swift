import ConclaveCore
import ConclaveStore
import Foundation
import Hummingbird

/// `POST /api/v1/workspaces/{ws}/dms`: the one DM channel for a set of members (idempotent).
struct DMRoutes {
    let dependencies: ServerDependencies

    struct DMRequest: Decodable {
        let member_ids: [String]
    }

    func register(on router: Router<AppRequestContext>) {
        let router = router.group(context: AuthenticatedRequestContext.self)
        router.post("/api/v1/workspaces/{ws}/dms") { request, context in try await open(request, context) }
    }

    func open(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = try context.principal(with: .channelsWrite)
        let workspaceID = try context.pathID("ws", kind: .workspace)
        _ = try await dependencies.requireRole(principal, in: workspaceID, for: .dmsCreate)
        let body = try await request.decodeJSON(as: DMRequest.self, context: context)
        // The list itself is bounded, not only the set it names: repeats are not free to send.
        guard body.member_ids.count <= 16 else { throw Problem.validation(field: "member_ids", "must name 1 to 15 other users or agents") }
        let members = Set(body.member_ids).union([principal.id])
        guard members.count >= 2, members.count <= 16,
            members.allSatisfy({ Identifier.isWellFormed($0, kind: .user) || Identifier.isWellFormed($0, kind: .agent) })
        else {
            throw Problem.validation(field: "member_ids", "must name 1 to 15 other users or agents")
        }
        let dmKey = members.sorted().joined(separator: ",")
        let opened: Opened
        do {
            opened = try await open(workspaceID: workspaceID, dmKey: dmKey, members: members, principal: principal)
        } catch StoreError.conflict {
            // Both sides opened the DM at once; the other insert won.
            guard let existing = try await dependencies.database.read({ db in
                try await ChannelRepository().findDM(workspaceID: workspaceID, dmKey: dmKey, on: db)
            }) else { throw StoreError.conflict }
            opened = Opened(channel: existing, created: false, changed: false)
        }
        let (channel, created) = (opened.channel, opened.created)
        if opened.changed { dependencies.events.published(workspaceID: workspaceID) }
        guard case .object(var json) = MessageJSON.channel(channel) else { throw Problem.internalError }
        json["member_ids"] = .array(members.sorted().map(JSONValue.string))
        return JSONResponse.make(.object(json), status: created ? .created : .ok)
    }

    struct Opened: Sendable {
        let channel: ChannelRecord
        let created: Bool
        /// Created, or members restored: events were recorded.
        let changed: Bool
    }

    /// The DM for `members`, created if needed. Everyone must still be in the workspace, also for
    /// an existing DM; someone removed from the workspace lost their DM memberships, and back in
    /// it gets them back (with `member.joined`), so the DM is theirs to use again.
    private func open(workspaceID: String, dmKey: String, members: Set<String>, principal: Principal) async throws -> Opened {
        try await dependencies.database.write { db -> Opened in
            _ = try await dependencies.requireRole(principal, in: workspaceID, for: .dmsCreate, on: db)
            let channels = ChannelRepository()
            for member in members.sorted() where try await WorkspaceRepository().role(of: member, in: workspaceID, on: db) == nil {
                throw Problem.validation(field: "member_ids", "\(member) is not a member of this workspace")
            }
            if let existing = try await channels.findDM(workspaceID: workspaceID, dmKey: dmKey, on: db) {
                var restored = false
                let now = Clock.milliseconds()
                // Conditional, so two people opening the DM at once restore a member once.
                for member in members.sorted()
                where try await channels.addMemberIfAbsent(channelID: existing.id, principalID: member, now: now, on: db) {
                    try await ChannelMemberRoutes.recordJoin(of: member, to: existing, on: db)
                    restored = true
                }
                return Opened(channel: existing, created: false, changed: restored)
            }
            let now = Clock.milliseconds()
            let id = Identifier.generate(.channel)
            try await channels.insertDM(id: id, workspaceID: workspaceID, dmKey: dmKey, createdBy: principal.id, now: now, on: db)
            for member in members.sorted() {
                try await channels.addMember(channelID: id, principalID: member, now: now, on: db)
            }
            guard let channel = try await channels.find(id: id, on: db) else { throw Problem.notFound }
            let created = try await EventLog().append(
                workspaceID: workspaceID, type: .channelCreated, channelID: id, visibility: .channel,
                data: MessageJSON.channelCreated(channel, members: members.sorted()),
                now: now, on: db
            )
            try await channels.setJoinedSeq(created.seq, channelID: id, on: db)
            return Opened(channel: channel, created: true, changed: true)
        }
    }
}
