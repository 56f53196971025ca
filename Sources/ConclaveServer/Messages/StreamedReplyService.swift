import ConclaveCore
import ConclaveStore

/// Streamed replies (contract v1.1 "Streaming replies"): a message posted with `"stream": true`
/// grows by appends from its sender, each saved at once into the message's text (one statement:
/// ordered by the row, lost by no crash) and fanned out as an ephemeral `message.delta`
/// `{"message_id","offset","append"}` — never written to the event log one by one. Appends have
/// their own rate limit (`stream`), not `send`. The final (the sender's, or the server's at the
/// deadline) resolves the mentions of the whole text and appends `message.updated` with
/// `streaming: false` and every mention in `mentions_added`: wake-ups happen then, not before.
struct StreamedReplyService {
    /// One append, in characters: its `message.delta` must fit a PostgreSQL notification.
    static let maxAppendLength = 1000

    struct Request: Decodable {
        let append: String?
        let final: Bool?
        let text: String?
    }

    /// The answer to an append: where it went and the text's length after it.
    struct Appended: Sendable {
        let offset: Int64
        let length: Int64
    }

    let dependencies: ServerDependencies

    func append(_ principal: Principal, messageID: String, text: String) async throws -> Appended {
        guard !text.isEmpty, text.count <= Self.maxAppendLength else {
            throw Problem.validation(field: "append", "must be 1 to \(Self.maxAppendLength) characters")
        }
        guard !text.utf8.contains(0) else { throw Problem.validation(field: "append", "must not contain the NUL character (U+0000)") }
        let message = try await streamingMessage(of: principal, messageID: messageID)
        _ = try dependencies.enforce("stream", key: principal.id)
        let maxLength = dependencies.configuration.maxMessageLength
        let length = try await dependencies.database.write { db in
            try await StreamedReplyRepository().append(messageID: message.id, senderID: principal.id, text: text, maxLength: maxLength, on: db)
        }
        guard let length else {
            // Finished, deleted or full since the check above: say which.
            _ = try await streamingMessage(of: principal, messageID: messageID)
            throw Problem.validation(field: "append", "would make the reply longer than \(maxLength) characters")
        }
        let offset = length - Int64(text.unicodeScalars.count)
        dependencies.events.ephemeral(EphemeralEvent(
            workspaceID: message.workspaceID, channelID: message.channelID, type: .messageDelta,
            data: ["message_id": .string(message.id), "offset": .int(offset), "append": .string(text)]
        ))
        return Appended(offset: offset, length: length)
    }

    /// The sender's final: `text` replaces what was streamed when given.
    func finish(_ principal: Principal, messageID: String, text: String?) async throws -> MessageRecord {
        if let text {
            guard (1...dependencies.configuration.maxMessageLength).contains(text.count) else {
                throw Problem.validation(field: "text", "must be 1 to \(dependencies.configuration.maxMessageLength) characters")
            }
            guard !text.utf8.contains(0) else { throw Problem.validation(field: "text", "must not contain the NUL character (U+0000)") }
        }
        let message = try await streamingMessage(of: principal, messageID: messageID)
        guard let finished = try await finalize(messageID: message.id, text: text, by: principal) else {
            throw Problem.conflict("The reply is not being streamed any more.")
        }
        return finished
    }

    /// Finalizes a stream whose deadline passed (or, on SQLite at start-up, any: its server
    /// stopped while it streamed) with the text saved so far.
    func finalizeAbandoned(messageID: String) async throws {
        _ = try await finalize(messageID: messageID, text: nil, by: nil)
    }

    /// Nil when the message is not streaming any more (finished concurrently, or deleted).
    private func finalize(messageID: String, text: String?, by principal: Principal?) async throws -> MessageRecord? {
        let finished = try await dependencies.database.write { db -> MessageRecord? in
            if let principal {
                // Still allowed to post there (demoted or removed meanwhile → 403/404).
                guard let current = try await MessageRepository().find(id: messageID, on: db) else { throw Problem.notFound }
                _ = try await ChannelAccess(dependencies: dependencies).require(principal, channelID: current.channelID, for: .write, on: db)
            }
            let repository = StreamedReplyRepository()
            guard let current = try await repository.lockStreaming(id: messageID, on: db) else { return nil }
            let (stored, mentions) = try await HandleMentionResolver.resolve(text ?? current.text ?? "", in: current.workspaceID, on: db)
            try await repository.finish(id: current.id, text: stored, mentions: mentions, on: db)
            guard let updated = try await MessageRepository().find(id: current.id, on: db) else { return nil }
            let reactions = try await ReactionRepository().counts(messageIDs: [updated.id], readerID: updated.senderID, on: db)[updated.id] ?? []
            let shown = MessageJSON.message(updated, reactions: reactions, forEvent: true)
            let log = EventLog()
            // The partial text of message.created is replaced everywhere by the final one.
            try await log.scrub(messageID: updated.id, data: shown, on: db)
            guard case .object(var data) = shown else { return nil }
            data["mentions_added"] = .array(updated.mentions.map(JSONValue.string))
            try await log.append(
                workspaceID: updated.workspaceID, type: .messageUpdated, channelID: updated.channelID, messageID: updated.id,
                visibility: .channel, data: .object(data), now: Clock.milliseconds(), on: db
            )
            return updated
        }
        if let finished { dependencies.events.published(workspaceID: finished.workspaceID) }
        return finished
    }

    /// The caller's own reply, still streaming: 404 when it may not see it, 403 when it is
    /// someone else's, 409 once finished or deleted.
    private func streamingMessage(of principal: Principal, messageID: String) async throws -> MessageRecord {
        let message = try await MessageService(dependencies: dependencies).visibleMessage(principal, messageID: messageID)
        guard message.senderID == principal.id else { throw Problem.forbidden("Only the sender streams into a reply.") }
        guard message.deletedAt == nil else { throw Problem.conflict("The message was deleted.") }
        guard message.streamingUntil != nil else { throw Problem.conflict("The reply is not being streamed (it was never, or it is finished).") }
        return message
    }
}
