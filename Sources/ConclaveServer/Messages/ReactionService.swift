import ConclaveCore
import ConclaveStore

/// Adding and removing reactions. Whoever may post in a message's channel may react (viewers
/// cannot; an API key needs `messages:write`). Both are idempotent: a change commits with its
/// `reaction.added`/`reaction.removed` event in one transaction, and a repeat changes nothing
/// and appends no event. Reactions never wake anyone (`EventFilter`).
struct ReactionService {
    /// Distinct emoji on one message: with one row per principal and emoji, a message's reactions
    /// are bounded by this times its channel's members, and the `api` limit bounds how fast.
    static let maxDistinctEmoji = 50

    let dependencies: ServerDependencies

    /// The emoji's reactions on the message after the change, as the caller sees them.
    func react(_ principal: Principal, messageID: String, emoji: ReactionEmoji, adding: Bool) async throws -> ReactionCount {
        let message = try await MessageService(dependencies: dependencies).visibleMessage(principal, messageID: messageID)
        guard message.deletedAt == nil else { throw Problem.conflict("The message was deleted.") }
        _ = try await ChannelAccess(dependencies: dependencies).require(principal, channelID: message.channelID, for: .write)
        let (result, changed) = try await dependencies.database.write { db -> (ReactionCount, Bool) in
            _ = try await ChannelAccess(dependencies: dependencies).require(principal, channelID: message.channelID, for: .write, on: db)
            let reactions = ReactionRepository()
            // The message row first, as its deletion locks it: a reaction never outlives it.
            guard try await reactions.lockLiveMessage(id: message.id, on: db) else { throw Problem.conflict("The message was deleted.") }
            let now = Clock.milliseconds()
            let changed: Bool
            if adding {
                if try await !reactions.has(messageID: message.id, emoji: emoji.value, on: db),
                    try await reactions.distinctEmoji(messageID: message.id, on: db) >= Self.maxDistinctEmoji
                {
                    throw Problem.conflict("A message takes at most \(Self.maxDistinctEmoji) different reactions.")
                }
                changed = try await reactions.add(messageID: message.id, principalID: principal.id, emoji: emoji.value, now: now, on: db)
            } else {
                changed = try await reactions.remove(messageID: message.id, principalID: principal.id, emoji: emoji.value, on: db)
            }
            let count = try await reactions.count(messageID: message.id, emoji: emoji.value, on: db)
            if changed {
                // With the message's id on the row, the message's deletion (and its channel's)
                // erases the emoji from the log too.
                try await EventLog().append(
                    workspaceID: message.workspaceID, type: adding ? .reactionAdded : .reactionRemoved, channelID: message.channelID,
                    messageID: message.id, visibility: .channel,
                    data: [
                        "message_id": .string(message.id), "channel_id": .string(message.channelID), "emoji": .string(emoji.value),
                        "principal_id": .string(principal.id), "count": .int(count),
                    ],
                    now: now, on: db
                )
            }
            return (ReactionCount(messageID: message.id, emoji: emoji.value, count: count, me: adding), changed)
        }
        if changed { dependencies.events.published(workspaceID: message.workspaceID) }
        return result
    }
}
