import ConclaveCore
import ConclaveStore

/// A message's text as stored: each `@handle` of a current member of the workspace written as
/// `<@id>` (`HandleMentions` finds the words), and the mentions that text carries. Runs inside the
/// transaction that stores the text, so a handle names whoever holds it when the message commits,
/// and later renames never change what a stored message mentions.
enum HandleMentionResolver {
    static func resolve(_ text: String, in workspaceID: String, on db: DatabaseSession) async throws -> (text: String, mentions: [String]) {
        let candidates = HandleMentions.candidates(in: text)
        var stored = text
        if !candidates.isEmpty {
            let holders = try await HandleRepository().holders(of: HandleMentions.handles(in: candidates), in: workspaceID, on: db)
            stored = HandleMentions.rewrite(text, candidates: candidates, ids: holders)
        }
        return (stored, MessageJSON.mentions(in: stored))
    }
}
