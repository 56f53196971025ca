import ConclaveCore
import ConclaveStore
import Foundation
import Hummingbird

/// Channels: create, list the visible ones, read (with the caller's read marker and unread
/// count), rename / change topic, delete; and read markers.
struct ChannelRoutes {
    let dependencies: ServerDependencies

    struct CreateRequest: Decodable {
        let name: String
        let `private`: Bool?
        let topic: String?
    }

    struct UpdateRequest: Decodable {
        let name: String?
        let topic: String?
    }

    struct ReadRequest: Decodable {
        let seq: Int64
    }

    func register(on router: Router<AppRequestContext>) {
        let router = router.group(context: AuthenticatedRequestContext.self)
        router.post("/api/v1/workspaces/{ws}/channels") { request, context in try await create(request, context) }
        router.get("/api/v1/workspaces/{ws}/channels") { request, context in try await list(request, context) }
        router.get("/api/v1/channels/{ch}") { _, context in try await show(context) }
        router.patch("/api/v1/channels/{ch}") { request, context in try await update(request, context) }
        router.delete("/api/v1/channels/{ch}") { _, context in try await delete(context) }
        router.post("/api/v1/channels/{ch}/read") { request, context in try await markRead(request, context) }
    }

    static func validateName(_ name: String) throws {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-_")
        guard (1...80).contains(name.count), name.allSatisfy({ allowed.contains($0) }) else {
            throw Problem.validation(field: "name", "must be 1 to 80 characters of a-z, 0-9, - and _")
        }
    }

    static func validateTopic(_ topic: String) throws {
        guard topic.count <= 250 else { throw Problem.validation(field: "topic", "must be at most 250 characters") }
    }

    func create(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = try context.principal(with: .channelsWrite)
        let workspaceID = try context.pathID("ws", kind: .workspace)
        _ = try await dependencies.requireRole(principal, in: workspaceID, for: .channelsCreate)
        let body = try await request.decodeJSON(as: CreateRequest.self, context: context)
        try Self.validateName(body.name)
        try Self.validateTopic(body.topic ?? "")
        let isPrivate = body.private ?? false
        let channel = try await dependencies.database.write { db in
            _ = try await dependencies.requireRole(principal, in: workspaceID, for: .channelsCreate, on: db)
            let now = Clock.milliseconds()
            let id = Identifier.generate(.channel)
            let channels = ChannelRepository()
            do {
                try await channels.insertChannel(id: id, workspaceID: workspaceID, name: body.name, isPrivate: isPrivate, topic: body.topic ?? "",
                                                 createdBy: principal.id, now: now, on: db)
            } catch StoreError.conflict {
                throw Problem.conflict("A channel with this name exists in the workspace.")
            }
            try await channels.addMember(channelID: id, principalID: principal.id, now: now, on: db)
            guard let channel = try await channels.find(id: id, on: db) else { throw Problem.notFound }
            let created = try await EventLog().append(
                workspaceID: workspaceID, type: .channelCreated, channelID: id, visibility: isPrivate ? .channel : .workspace,
                data: MessageJSON.channelCreated(channel, members: [principal.id]), now: now, on: db
            )
            try await channels.setJoinedSeq(created.seq, channelID: id, on: db)
            try await EventLog().append(
                workspaceID: workspaceID, type: .memberJoined, channelID: id, visibility: .channel,
                data: ["channel_id": .string(id), "member_id": .string(principal.id)], now: now, on: db
            )
            return channel
        }
        dependencies.events.published(workspaceID: workspaceID)
        return JSONResponse.make(MessageJSON.channel(channel), status: .created)
    }

    func list(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = try context.principal(with: .channelsRead)
        let workspaceID = try context.pathID("ws", kind: .workspace)
        _ = try await dependencies.requireRole(principal, in: workspaceID, for: .channelsRead)
        let page = try Page(request)
        let rows = try await dependencies.database.read { db in
            try await ChannelRepository().visible(to: principal.id, workspaceID: workspaceID, after: page.after, limit: page.limit + 1, on: db)
        }
        let (items, next) = page.finish(rows) { $0.id }
        return JSONResponse.make(Page.response(items.map(MessageJSON.channel), next: next))
    }

    func show(_ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = try context.principal(with: .channelsRead)
        let channelID = try context.pathID("ch", kind: .channel)
        let grant = try await ChannelAccess(dependencies: dependencies).require(principal, channelID: channelID, for: .read)
        let (lastRead, unread) = try await dependencies.database.read { db -> (Int64?, Int64) in
            guard let marker = try await ChannelRepository().readMarker(channelID: channelID, principalID: principal.id, on: db) else {
                return (nil, 0)
            }
            return (marker, try await MessageRepository().unreadCount(channelID: channelID, afterSeq: marker, excluding: principal.id, on: db))
        }
        guard case .object(var body) = MessageJSON.channel(grant.channel) else { throw Problem.internalError }
        body["is_member"] = .bool(grant.isMember)
        body["last_read_seq"] = lastRead.map(JSONValue.int) ?? .null
        body["unread_count"] = .int(unread)
        return JSONResponse.make(.object(body))
    }

    func update(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = try context.principal(with: .channelsWrite)
        let channelID = try context.pathID("ch", kind: .channel)
        let grant = try await ChannelAccess(dependencies: dependencies).require(principal, channelID: channelID, for: .manage)
        let body = try await request.decodeJSON(as: UpdateRequest.self, context: context)
        if let name = body.name {
            guard grant.channel.kind == .channel else { throw Problem.validation(field: "name", "a DM has no name") }
            try Self.validateName(name)
        }
        if let topic = body.topic { try Self.validateTopic(topic) }
        let channel = try await dependencies.database.write { db in
            _ = try await ChannelAccess(dependencies: dependencies).require(principal, channelID: channelID, for: .manage, on: db)
            let now = Clock.milliseconds()
            do {
                try await ChannelRepository().update(id: channelID, name: body.name ?? grant.channel.name, topic: body.topic ?? grant.channel.topic,
                                                     now: now, on: db)
            } catch StoreError.conflict {
                throw Problem.conflict("A channel with this name exists in the workspace.")
            }
            guard let channel = try await ChannelRepository().find(id: channelID, on: db) else { throw Problem.notFound }
            try await EventLog().append(
                workspaceID: channel.workspaceID, type: .channelUpdated, channelID: channelID,
                visibility: channel.isPrivate ? .channel : .workspace, data: MessageJSON.channel(channel), now: now, on: db
            )
            return channel
        }
        dependencies.events.published(workspaceID: channel.workspaceID)
        return JSONResponse.make(MessageJSON.channel(channel))
    }

    func delete(_ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = try context.principal(with: .channelsWrite)
        let channelID = try context.pathID("ch", kind: .channel)
        let grant = try await ChannelAccess(dependencies: dependencies).require(principal, channelID: channelID, for: .manage)
        let clientIP = context.clientIP
        try await dependencies.database.write { db in
            _ = try await ChannelAccess(dependencies: dependencies).require(principal, channelID: channelID, for: .manage, on: db)
            let now = Clock.milliseconds()
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
        }
        dependencies.events.published(workspaceID: grant.channel.workspaceID)
        return Response(status: .noContent)
    }

    func markRead(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = try context.principal(with: .messagesRead)
        let channelID = try context.pathID("ch", kind: .channel)
        let grant = try await ChannelAccess(dependencies: dependencies).require(principal, channelID: channelID, for: .read)
        guard grant.isMember else { throw Problem.forbidden("Join the channel to keep a read marker.") }
        let body = try await request.decodeJSON(as: ReadRequest.self, context: context)
        guard body.seq >= 0, body.seq <= grant.channel.lastSeq else {
            throw Problem.validation(field: "seq", "must be from 0 to the channel's last seq (\(grant.channel.lastSeq))")
        }
        let marker = try await dependencies.database.write { db in
            try await ChannelRepository().markRead(channelID: channelID, principalID: principal.id, seq: body.seq, on: db)
            let marker = try await ChannelRepository().readMarker(channelID: channelID, principalID: principal.id, on: db) ?? body.seq
            try await EventLog().append(
                workspaceID: grant.channel.workspaceID, type: .readUpdated, channelID: channelID, visibility: .principal(principal.id),
                data: ["channel_id": .string(channelID), "last_read_seq": .int(marker)], now: Clock.milliseconds(), on: db
            )
            return marker
        }
        dependencies.events.published(workspaceID: grant.channel.workspaceID)
        return JSONResponse.make(["channel_id": .string(channelID), "last_read_seq": .int(marker)])
    }
}
