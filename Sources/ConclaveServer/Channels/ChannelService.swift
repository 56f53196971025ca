import ConclaveCore
import ConclaveStore
import Foundation

/// Channels: create, list the visible ones and read one (each with the caller's read state),
/// rename / change topic, delete; and read markers. Each method checks access before it
/// reads the request body (a caller without access gets 404/403, never a body error), checks it
/// again inside the write transaction, and commits the change, its event and any audit entry
/// together.
struct ChannelService {
    let dependencies: ServerDependencies

    struct CreateRequest: Decodable {
        let name: String
        let isPrivate: Bool?
        let topic: String?

        enum CodingKeys: String, CodingKey {
            case name, topic
            case isPrivate = "private"
        }
    }

    struct UpdateRequest: Decodable {
        let name: String?
        let topic: String?
    }

    struct ReadRequest: Decodable {
        let seq: Int64
    }

    /// A channel as one principal sees it.
    struct View: Sendable {
        let channel: ChannelRecord
        let state: ChannelReadState
        /// A DM's members (a DM has no name: clients name it by who is in it); nil for channels.
        var memberIDs: [String]? = nil
    }

    func create(_ principal: Principal, workspaceID: String, body: () async throws -> CreateRequest) async throws -> ChannelRecord {
        _ = try await dependencies.requireRole(principal, in: workspaceID, for: .channelsCreate)
        let request = try await body()
        try Self.validateName(request.name)
        try Self.validateTopic(request.topic ?? "")
        let isPrivate = request.isPrivate ?? false
        let channel = try await dependencies.database.write { db in
            _ = try await dependencies.requireRole(principal, in: workspaceID, for: .channelsCreate, on: db)
            let now = Clock.milliseconds()
            let id = Identifier.generate(.channel)
            let channels = ChannelRepository()
            do {
                try await channels.insertChannel(id: id, workspaceID: workspaceID, name: request.name, isPrivate: isPrivate,
                                                 topic: request.topic ?? "", createdBy: principal.id, now: now, on: db)
            } catch StoreError.conflict {
                throw Problem.conflict("A channel with this name exists in the workspace.")
            }
            try await channels.addMember(channelID: id, principalID: principal.id, now: now, on: db)
            guard let channel = try await channels.find(id: id, on: db) else { throw Problem.notFound }
            let created = try await EventLog().append(
                workspaceID: workspaceID, type: .channelCreated, channelID: id, visibility: isPrivate ? .channel : .workspace,
                data: ChannelJSON.channelCreated(channel, members: [principal.id]), now: now, on: db
            )
            try await channels.setJoinedSeq(created.seq, channelID: id, on: db)
            try await EventLog().append(
                workspaceID: workspaceID, type: .memberJoined, channelID: id, visibility: .channel,
                data: ["channel_id": .string(id), "member_id": .string(principal.id)], now: now, on: db
            )
            return channel
        }
        dependencies.events.published(workspaceID: workspaceID)
        return channel
    }

    /// One page of the channels `principal` can see in the workspace, each with the caller's read
    /// state (one statement for the page), and where the next begins.
    func list(_ principal: Principal, workspaceID: String, page readPage: () throws -> Page) async throws
        -> (channels: [View], next: JSONValue)
    {
        _ = try await dependencies.requireRole(principal, in: workspaceID, for: .channelsRead)
        let page = try readPage()
        let rows = try await dependencies.database.read { db in
            let views = try await ChannelReadStateRepository().visible(
                to: principal.id, workspaceID: workspaceID, after: page.after, limit: page.limit + 1, on: db
            ).map { View(channel: $0.channel, state: $0.state) }
            let dms = try await ChannelRepository().members(channelIDs: views.filter { $0.channel.kind == .dm }.map(\.channel.id), on: db)
            return views.map { view in
                var view = view
                view.memberIDs = dms[view.channel.id]
                return view
            }
        }
        let (channels, next) = page.finish(rows) { $0.channel.id }
        return (channels, next)
    }

    func show(_ principal: Principal, channelID: String) async throws -> View {
        let grant = try await ChannelAccess(dependencies: dependencies).require(principal, channelID: channelID, for: .read)
        let (state, members) = try await dependencies.database.read { db in
            let state = try await ChannelReadStateRepository().state(channelID: channelID, principalID: principal.id, on: db)
            let members = grant.channel.kind == .dm ? try await ChannelRepository().members(channelID: channelID, on: db) : nil
            return (state, members)
        }
        return View(channel: grant.channel, state: state ?? .notMember, memberIDs: members)
    }

    /// Renames a channel and/or changes its topic.
    func update(_ principal: Principal, channelID: String, body: () async throws -> UpdateRequest) async throws -> ChannelRecord {
        let grant = try await ChannelAccess(dependencies: dependencies).require(principal, channelID: channelID, for: .manage)
        let request = try await body()
        if let name = request.name {
            guard grant.channel.kind == .channel else { throw Problem.validation(field: "name", "a DM has no name") }
            try Self.validateName(name)
        }
        if let topic = request.topic { try Self.validateTopic(topic) }
        let channel = try await dependencies.database.write { db in
            _ = try await ChannelAccess(dependencies: dependencies).require(principal, channelID: channelID, for: .manage, on: db)
            let now = Clock.milliseconds()
            do {
                try await ChannelRepository().update(id: channelID, name: request.name ?? grant.channel.name,
                                                     topic: request.topic ?? grant.channel.topic, now: now, on: db)
            } catch StoreError.conflict {
                throw Problem.conflict("A channel with this name exists in the workspace.")
            }
            guard let channel = try await ChannelRepository().find(id: channelID, on: db) else { throw Problem.notFound }
            try await EventLog().append(
                workspaceID: channel.workspaceID, type: .channelUpdated, channelID: channelID,
                visibility: channel.isPrivate ? .channel : .workspace, data: ChannelJSON.channel(channel), now: now, on: db
            )
            return channel
        }
        dependencies.events.published(workspaceID: channel.workspaceID)
        return channel
    }

    /// Deletes the channel with its messages, and scrubs its events from the log.
    func delete(_ principal: Principal, channelID: String, clientIP: String) async throws {
        let grant = try await ChannelAccess(dependencies: dependencies).require(principal, channelID: channelID, for: .manage)
        let erasedFiles = try await dependencies.database.write { db -> [String] in
            _ = try await ChannelAccess(dependencies: dependencies).require(principal, channelID: channelID, for: .manage, on: db)
            let now = Clock.milliseconds()
            // Files only its messages held go with them (their bytes after the commit).
            let erasedFiles = try await FileRepository().detachAll(channelID: channelID, on: db)
            try await ChannelRepository().delete(id: channelID, on: db)
            try await EventLog().scrubChannel(channelID: channelID, on: db)
            try await EventLog().append(
                workspaceID: grant.channel.workspaceID, type: .channelUpdated, channelID: channelID,
                visibility: grant.channel.isPrivate ? .channel : .workspace,
                data: ["id": .string(channelID), "deleted": true], now: now, on: db
            )
            try await dependencies.audit(
                AuditEvent(actor: AuditActor(id: principal.id, kind: AuditActor.Kind(principal.kind), ip: clientIP),
                           action: "channel.deleted", target: channelID, workspaceID: grant.channel.workspaceID),
                on: db
            )
            return erasedFiles
        }
        FileService(dependencies: dependencies).eraseBytes(of: erasedFiles)
        dependencies.events.published(workspaceID: grant.channel.workspaceID)
    }

    /// Moves the caller's read marker; answers where it now stands (it never moves back).
    func markRead(_ principal: Principal, channelID: String, body: () async throws -> ReadRequest) async throws -> Int64 {
        let grant = try await ChannelAccess(dependencies: dependencies).require(principal, channelID: channelID, for: .read)
        guard grant.isMember else { throw Problem.forbidden("Join the channel to keep a read marker.") }
        let request = try await body()
        guard request.seq >= 0, request.seq <= grant.channel.lastSeq else {
            throw Problem.validation(field: "seq", "must be from 0 to the channel's last seq (\(grant.channel.lastSeq))")
        }
        let marker = try await dependencies.database.write { db in
            try await ChannelRepository().markRead(channelID: channelID, principalID: principal.id, seq: request.seq, on: db)
            let marker = try await ChannelRepository().readMarker(channelID: channelID, principalID: principal.id, on: db) ?? request.seq
            try await EventLog().append(
                workspaceID: grant.channel.workspaceID, type: .readUpdated, channelID: channelID, visibility: .principal(principal.id),
                data: ["channel_id": .string(channelID), "last_read_seq": .int(marker)], now: Clock.milliseconds(), on: db
            )
            return marker
        }
        dependencies.events.published(workspaceID: grant.channel.workspaceID)
        return marker
    }

    private static func validateName(_ name: String) throws {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-_")
        guard (1...80).contains(name.count), name.allSatisfy({ allowed.contains($0) }) else {
            throw Problem.validation(field: "name", "must be 1 to 80 characters of a-z, 0-9, - and _")
        }
    }

    private static func validateTopic(_ topic: String) throws {
        guard topic.count <= 250 else { throw Problem.validation(field: "topic", "must be at most 250 characters") }
    }
}
