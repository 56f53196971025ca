import ConclaveCore
import ConclaveStore

/// Approval requests (contract v1.1 "Approval requests"): any poster of a channel may ask (a
/// `kind: approval_request` message); only a person it names answers, once, in a signed-in
/// session — never an agent, never an API key, whatever its scopes — before it expires. The
/// answer, the message's `message.updated` and `approval.resolved` (which reaches the requester
/// even on a `mentions_only` stream) and an audit entry commit together.
struct ApprovalService {
    struct AnswerRequest: Decodable {
        let choice: String
        let comment: String?
    }

    let dependencies: ServerDependencies

    /// Inside the send's transaction: every approver is a person in the channel.
    static func requireApprovers(_ approval: Approval, in channel: ChannelRecord, on db: DatabaseSession) async throws {
        let channels = ChannelRepository()
        for approver in approval.approvers where try await !channels.isMember(channelID: channel.id, principalID: approver, on: db) {
            throw Problem.validation(field: "approval.approvers", "must be people who are members of the channel (\(approver) is not)")
        }
    }

    /// The message with its request answered.
    func answer(_ principal: Principal, messageID: String, clientIP: String, body: () async throws -> AnswerRequest) async throws -> MessageRecord {
        let message = try await MessageService(dependencies: dependencies).visibleMessage(principal, messageID: messageID)
        guard principal.kind == .human, principal.sessionID != nil, principal.apiKeyID == nil else {
            throw Problem.forbidden("Approval requests are answered by the people they name, in a signed-in session; never by an agent or an API key.")
        }
        guard message.kind == .approvalRequest else { throw Problem.conflict("The message is not an approval request.") }
        let request = try await body()
        if let comment = request.comment, comment.count > Approval.maxCommentLength || comment.utf8.contains(0) {
            throw Problem.validation(field: "comment", "must be at most \(Approval.maxCommentLength) characters")
        }
        let answered = try await dependencies.database.write { db -> MessageRecord in
            // Still allowed to read it now (removed from the channel since → 404).
            _ = try await ChannelAccess(dependencies: dependencies).require(principal, channelID: message.channelID, for: .read, on: db)
            let repository = ApprovalRepository()
            guard let current = try await repository.lockLiveMessage(id: message.id, on: db),
                var approval = current.approval.flatMap(ApprovalJSON.decode)
            else { throw Problem.conflict("The message was deleted.") }
            guard approval.approvers.contains(principal.id) else {
                throw Problem.forbidden("Only the people an approval request names may answer it.")
            }
            let now = Clock.milliseconds()
            guard approval.isOpen else { throw Problem.conflict("The request was answered already.") }
            guard approval.status(now: now) != "expired" else { throw Problem.conflict("The request expired.") }
            guard approval.options.contains(request.choice) else {
                throw Problem.validation(field: "choice", "must be one of \(approval.options.joined(separator: ", "))")
            }
            approval.choice = request.choice
            approval.by = principal.id
            approval.at = now
            approval.comment = request.comment.flatMap { $0.isEmpty ? nil : $0 }
            let resolved = try await resolve(current, approval: approval, now: now, on: db)
            try await dependencies.audit(
                AuditEvent(actor: AuditActor(id: principal.id, kind: .human, ip: clientIP), action: "approval.answered", target: message.id,
                           workspaceID: message.workspaceID,
                           details: ["channel_id": .string(message.channelID), "requester_id": .string(message.senderID),
                                     "status": .string(approval.status(now: now))]),
                on: db
            )
            return resolved
        }
        dependencies.events.published(workspaceID: answered.workspaceID)
        return answered
    }

    /// Marks a due request expired (any server may run this; the row lock lets one do it).
    func expire(messageID: String) async throws {
        let workspaceID = try await dependencies.database.write { db -> String? in
            let repository = ApprovalRepository()
            guard let current = try await repository.lockLiveMessage(id: messageID, on: db),
                var approval = current.approval.flatMap(ApprovalJSON.decode), approval.isOpen
            else {
                try await repository.removeDeadline(messageID: messageID, on: db)
                return nil
            }
            let now = Clock.milliseconds()
            guard let expiresAt = approval.expiresAt, expiresAt <= now else { return nil }
            approval.expired = true
            _ = try await resolve(current, approval: approval, now: now, on: db)
            try await dependencies.audit(
                AuditEvent(actor: .system(), action: "approval.expired", target: messageID, workspaceID: current.workspaceID,
                           details: ["channel_id": .string(current.channelID), "requester_id": .string(current.senderID)]),
                on: db
            )
            return current.workspaceID
        }
        if let workspaceID { dependencies.events.published(workspaceID: workspaceID) }
    }

    /// Stores the state and appends `message.updated` (every earlier event of the message shows
    /// it as now) and `approval.resolved`.
    private func resolve(_ message: MessageRecord, approval: Approval, now: Int64, on db: DatabaseSession) async throws -> MessageRecord {
        var updated = message
        updated.approval = ApprovalJSON.stored(approval)
        try await ApprovalRepository().update(messageID: message.id, approval: updated.approval!, open: approval.isOpen, on: db)
        let reactions = try await ReactionRepository().counts(messageIDs: [message.id], readerID: message.senderID, on: db)[message.id] ?? []
        let shown = MessageJSON.message(updated, reactions: reactions, forEvent: true)
        let log = EventLog()
        try await log.scrub(messageID: message.id, data: shown, on: db)
        try await log.append(
            workspaceID: message.workspaceID, type: .messageUpdated, channelID: message.channelID, messageID: message.id,
            visibility: .channel, data: shown, now: now, on: db
        )
        try await log.append(
            workspaceID: message.workspaceID, type: .approvalResolved, channelID: message.channelID, messageID: message.id,
            visibility: .channel,
            data: [
                "message_id": .string(message.id), "channel_id": .string(message.channelID), "requester_id": .string(message.senderID),
                "approval": ApprovalJSON.render(approval, now: now),
            ],
            now: now, on: db
        )
        return updated
    }
}
