import ConclaveCore
import ConclaveStore
import Foundation
import Metrics

/// Posting, listing, editing and deleting messages: the one implementation behind REST and
/// WebSocket sends. Each change and its event commit in one transaction; the caller is answered
/// after the commit.
struct MessageService {
    static let maxMetadataBytes = 16 * 1024
    /// A client_msg_id repeats its message for 24 h (contract), then names a new one.
    static let clientMsgIDWindowMilliseconds: Int64 = 24 * 3600 * 1000

    let dependencies: ServerDependencies

    /// Messages committed by sends, over REST and WebSocket (not counting idempotent repeats).
    static let messagesSent = Counter(label: "conclave_messages_sent_total")

    /// A message's new text.
    struct EditRequest: Decodable {
        let text: String
    }

    struct SendResult: Sendable {
        let message: MessageRecord
        let created: Bool
        /// The event the send appended (nil for a replay), handed to the hub after the commit.
        var event: WorkspaceEvent? = nil
    }

    func send(_ principal: Principal, channelID: String, request: SendRequest, clientIP: String) async throws -> SendResult {
        _ = try dependencies.enforce("send", key: principal.id)
        let (metadataText, approval) = try validated(request)
        let grant = try await ChannelAccess(dependencies: dependencies).require(principal, channelID: channelID, for: .write)
        let channel = grant.channel
        _ = try dependencies.enforce("send_workspace", key: channel.workspaceID)
        let files = try await FileService(dependencies: dependencies).attachable(principal, fileIDs: request.fileIDs ?? [], workspaceID: channel.workspaceID)
        let result: SendResult
        do {
            result = try await insert(principal, channel: channel, request: request, metadataText: metadataText, approval: approval, files: files)
        } catch StoreError.conflict {
            // A concurrent retry with the same client_msg_id won the insert: answer with its message.
            guard let clientMsgID = request.clientMsgID,
                let existing = try await dependencies.database.read({ db in
                    try await MessageRepository().find(senderID: principal.id, channelID: channel.id, clientMsgID: clientMsgID, on: db)
                })
            else { throw StoreError.conflict }
            return SendResult(message: existing, created: false)
        } catch let refusal as LoopBudget.Refusal {
            try await LoopBudget.auditFirst(refusal, of: principal, in: channel, clientIP: clientIP, dependencies: dependencies)
            throw Problem.loopBudgetExhausted(budget: refusal.budget)
        }
        if result.created {
            dependencies.events.published(workspaceID: channel.workspaceID, events: result.event.map { [$0] } ?? [])
            Self.messagesSent.increment()
        }
        return result
    }

    private func insert(
        _ principal: Principal, channel: ChannelRecord, request: SendRequest, metadataText: String?, approval: Approval?, files: [FileRecord]
    ) async throws -> SendResult {
        try await dependencies.database.write { db -> SendResult in
            let now = Clock.milliseconds()
            let messages = MessageRepository()
            if let clientMsgID = request.clientMsgID,
                let existing = try await messages.find(senderID: principal.id, channelID: channel.id, clientMsgID: clientMsgID, on: db)
            {
                if existing.createdAt > now - Self.clientMsgIDWindowMilliseconds {
                    return SendResult(message: existing, created: false)
                }
                // Past its window the id names a new message; the old one stays, without the id.
                try await messages.releaseClientMsgID(messageID: existing.id, on: db)
            }
            // `@handle` → `<@id>`: a plain read (no lock), before the channel row's lock below, which
            // every sender of the channel waits for, so that lock stays short.
            let (text, resolvedMentions) = try await HandleMentionResolver.resolve(request.text, in: channel.workspaceID, on: db)
            // A streamed reply mentions (and wakes) no one until its final, which reads its whole text.
            let streaming = request.stream == true
            let mentions = streaming ? [] : resolvedMentions
            // The channel row first, as a channel's deletion locks it before its messages. The
            // same statement re-checks, inside the transaction, that the sender is still a channel
            // member whose role may write (a demotion or removal committed since the check above).
            guard let seq = try await ChannelRepository().nextSeq(
                channelID: channel.id, writer: principal.id, writerRoles: PermissionTable.roles(allowing: .messagesWrite), on: db
            ) else {
                _ = try await ChannelAccess(dependencies: dependencies).require(principal, channelID: channel.id, for: .write, on: db)
                throw Problem.notFound
            }
            var root: MessageRecord?
            if let threadID = request.threadID {
                // A deleted root is a tombstone: a reply to it would hang off a message nobody can read.
                guard let found = try await messages.find(id: threadID, on: db), found.channelID == channel.id, found.threadID == nil,
                    found.deletedAt == nil, try await messages.countReply(to: threadID, on: db)
                else {
                    throw Problem.validation(field: "thread_id", "must be a live top-level message of this channel")
                }
                root = found
            }
            if let approval { try await ApprovalService.requireApprovers(approval, in: channel, on: db) }
            let provenance = try await LoopBudget.provenance(of: principal, in: channel, under: root, on: db)
            let message = MessageRecord(
                id: Identifier.generate(.message), workspaceID: channel.workspaceID, channelID: channel.id, seq: seq, senderID: principal.id,
                senderKind: principal.kind, kind: request.kind.flatMap(MessageKind.init(rawValue:)) ?? .message, text: text, metadata: metadataText,
                mentions: mentions, threadID: request.threadID, replyCount: 0, clientMsgID: request.clientMsgID, createdAt: now,
                editedAt: nil, deletedAt: nil, keyID: provenance.keyID, hops: provenance.hops, triggerID: provenance.triggerID,
                approval: approval.map(ApprovalJSON.stored),
                streamingUntil: streaming ? now + Int64(dependencies.configuration.streamTimeoutSeconds) * 1000 : nil,
                files: FileSummary.stored(files.map(FileSummary.init))
            )
            try await messages.insert(message, on: db)
            for file in files { try await FileRepository().attach(fileID: file.id, messageID: message.id, on: db) }
            if let expiresAt = approval?.expiresAt {
                try await ApprovalRepository().addDeadline(messageID: message.id, expiresAt: expiresAt, on: db)
            }
            let event = try await EventLog().append(
                workspaceID: channel.workspaceID, type: .messageCreated, channelID: channel.id, messageID: message.id, visibility: .channel,
                data: MessageJSON.message(message), now: now, on: db
            )
            return SendResult(message: message, created: true, event: event)
        }
    }

    /// One page of a channel's messages in seq order, and the cursor of the next (nil at the end).
    /// The query is read only once the caller may read the channel.
    func list(_ principal: Principal, channelID: String, query readQuery: () throws -> MessageListQuery) async throws
        -> (messages: [MessageRecord], reactions: [String: [ReactionCount]], nextCursor: String?)
    {
        _ = try await ChannelAccess(dependencies: dependencies).require(principal, channelID: channelID, for: .read)
        let query = try readQuery()
        let (rows, reactions) = try await dependencies.database.read { db in
            let rows = try await MessageRepository().list(channelID: channelID, afterSeq: query.afterSeq, beforeSeq: query.beforeSeq,
                                                          threadID: query.threadID, descending: query.descending,
                                                          limit: query.limit + 1, on: db)
            return (rows, try await ReactionRepository().counts(messageIDs: rows.map(\.id), readerID: principal.id, on: db))
        }
        // Rows come in reading order; one more than the page says whether another page follows,
        // and the page's last row read is where it continues.
        let page = Array(rows.prefix(query.limit))
        let next = rows.count > query.limit ? page.last.map { String($0.seq) } : nil
        return (query.descending && !query.newestFirst ? page.reversed() : page, reactions, next)
    }

    /// The edited message, with its reactions as the editor sees them.
    func edit(_ principal: Principal, messageID: String, text: String) async throws -> (message: MessageRecord, reactions: [ReactionCount]) {
        guard (1...dependencies.configuration.maxMessageLength).contains(text.count) else {
            throw Problem.validation(field: "text", "must be 1 to \(dependencies.configuration.maxMessageLength) characters")
        }
        let message = try await visibleMessage(principal, messageID: messageID)
        guard message.senderID == principal.id else { throw Problem.forbidden("Only the sender may edit a message.") }
        guard message.deletedAt == nil else { throw Problem.conflict("The message was deleted.") }
        guard message.streamingUntil == nil else { throw Problem.conflict("The reply is still being streamed: finish it with its final.") }
        _ = try await ChannelAccess(dependencies: dependencies).require(principal, channelID: message.channelID, for: .write)
        let (updated, reactions) = try await dependencies.database.write { db -> (MessageRecord, [ReactionCount]) in
            _ = try await ChannelAccess(dependencies: dependencies).require(principal, channelID: message.channelID, for: .write, on: db)
            let now = Clock.milliseconds()
            let (stored, mentions) = try await HandleMentionResolver.resolve(text, in: message.workspaceID, on: db)
            guard try await MessageRepository().edit(id: message.id, text: stored, mentions: mentions, now: now, on: db) else {
                throw Problem.conflict("The message was deleted.")
            }
            guard let updated = try await MessageRepository().find(id: message.id, on: db) else { throw Problem.notFound }
            let reactions = try await ReactionRepository().counts(messageIDs: [updated.id], readerID: principal.id, on: db)[updated.id] ?? []
            let shown = MessageJSON.message(updated, reactions: reactions, forEvent: true)
            // The text before the edit must not stay readable in the log (a stream resumed from
            // an early cursor would show it): every earlier event of the message shows it as now.
            try await EventLog().scrub(messageID: updated.id, data: shown, on: db)
            // Whom the edit mentions anew: they are woken (a mentions_only stream passes the
            // event); those mentioned before were woken by the message already.
            guard case .object(var data) = shown else { throw Problem.notFound }
            data["mentions_added"] = .array(updated.mentions.filter { !message.mentions.contains($0) }.map(JSONValue.string))
            try await EventLog().append(
                workspaceID: updated.workspaceID, type: .messageUpdated, channelID: updated.channelID, messageID: updated.id,
                visibility: .channel, data: .object(data), now: now, on: db
            )
            return (updated, reactions)
        }
        dependencies.events.published(workspaceID: updated.workspaceID)
        await dependencies.database.flushErasures()
        return (updated, reactions)
    }

    /// Erases the text everywhere it is stored: the message row and every event about it.
    func delete(_ principal: Principal, messageID: String, clientIP: String) async throws {
        let message = try await visibleMessage(principal, messageID: messageID)
        guard message.deletedAt == nil else { throw Problem.notFound }
        let grant = try await ChannelAccess(dependencies: dependencies).require(principal, channelID: message.channelID, for: .read)
        let moderating = message.senderID != principal.id
        if moderating {
            guard PermissionTable.allows(grant.role, .messagesModerate), principal.scopes == nil else {
                throw Problem.forbidden("Only the sender, an admin or an owner may delete a message.")
            }
        }
        let erasedFiles = try await dependencies.database.write { db -> [String] in
            let current = try await ChannelAccess(dependencies: dependencies).require(principal, channelID: message.channelID, for: .read, on: db)
            if moderating, !PermissionTable.allows(current.role, .messagesModerate) {
                throw Problem.forbidden("Only the sender, an admin or an owner may delete a message.")
            }
            let now = Clock.milliseconds()
            // A concurrent delete that committed first erased it already: one deletion, one event.
            guard try await MessageRepository().erase(id: message.id, now: now, on: db) else { throw Problem.notFound }
            guard let erased = try await MessageRepository().find(id: message.id, on: db) else { throw Problem.notFound }
            let tombstone = MessageJSON.message(erased)
            try await EventLog().scrub(messageID: message.id, data: tombstone, on: db)
            // The files it was the last message to hold go with it (their bytes after the commit).
            let erasedFiles = try await FileRepository().detachAll(messageID: message.id, on: db)
            // Its reactions go with it: the rows, and who reacted with what in the log.
            try await ReactionRepository().removeAll(messageID: message.id, on: db)
            try await EventLog().scrubReactions(messageID: message.id, channelID: message.channelID, on: db)
            try await EventLog().append(
                workspaceID: message.workspaceID, type: .messageDeleted, channelID: message.channelID, messageID: message.id,
                visibility: .channel, data: tombstone, now: now, on: db
            )
            if moderating {
                try await dependencies.audit(
                    AuditEvent(actor: AuditActor(id: principal.id, kind: .human, ip: clientIP), action: "message.deleted_by_moderator",
                               target: message.id, workspaceID: message.workspaceID,
                               details: ["channel_id": .string(message.channelID), "sender_id": .string(message.senderID)]),
                    on: db
                )
            }
            return erasedFiles
        }
        FileService(dependencies: dependencies).eraseBytes(of: erasedFiles)
        dependencies.events.published(workspaceID: message.workspaceID)
        await dependencies.database.flushErasures()
    }

    func visibleMessage(_ principal: Principal, messageID: String) async throws -> MessageRecord {
        guard let message = try await dependencies.database.read({ db in try await MessageRepository().find(id: messageID, on: db) }) else {
            throw Problem.notFound
        }
        _ = try await ChannelAccess(dependencies: dependencies).require(principal, channelID: message.channelID, for: .read)
        return message
    }
}
