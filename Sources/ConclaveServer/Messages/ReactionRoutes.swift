import ConclaveCore
import Foundation
import Hummingbird

/// `PUT`/`DELETE /api/v1/messages/{msg}/reactions/{emoji}`: both idempotent, both answer 200
/// with the emoji's reactions after the call (`{"emoji","count","me"}`), whether or not it
/// changed anything, so a client can show the result without another read.
struct ReactionRoutes {
    let dependencies: ServerDependencies

    func register(on router: RouterGroup<AuthenticatedRequestContext>) {
        router.put("/api/v1/messages/{msg}/reactions/{emoji}") { _, context in try await react(context, adding: true) }
        router.delete("/api/v1/messages/{msg}/reactions/{emoji}") { _, context in try await react(context, adding: false) }
    }

    func react(_ context: AuthenticatedRequestContext, adding: Bool) async throws -> Response {
        let principal = try context.principal(with: .messagesWrite)
        let messageID = try context.pathID("msg", kind: .message)
        let emoji = try Self.emoji(context.parameters.get("emoji"))
        let reaction = try await ReactionService(dependencies: dependencies).react(principal, messageID: messageID, emoji: emoji, adding: adding)
        return JSONResponse.make(MessageJSON.reaction(reaction))
    }

    /// The path segment, percent-decoded once (the router leaves it encoded).
    static func emoji(_ segment: String?) throws -> ReactionEmoji {
        guard let segment, segment.utf8.count <= ReactionEmoji.maxLength * 4 * 3, let decoded = segment.removingPercentEncoding,
            let emoji = ReactionEmoji(decoded)
        else { throw invalidEmoji() }
        return emoji
    }

    /// The refusal of an emoji that `ReactionEmoji` does not accept (REST path and MCP argument).
    static func invalidEmoji() -> Problem {
        Problem.validation(field: "emoji", "must be one emoji or a :short_name: of a-z, 0-9, _, + and - (at most 64 characters)")
    }
}
