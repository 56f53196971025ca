import ConclaveCore
import ConclaveSecurity
import Foundation
import Hummingbird

/// `GET …/search` parameters: `q` (parsed by `SearchQuery`, `+` read as a space; missing or
/// refused → 422 naming `q`), optional `channel_id` and `sender_id` filters, and `limit`/`cursor` as every list
/// (`Page`). The cursor is how many results came before the page, so a page is the same ranked
/// list continued; at most `maxOffset` results are reachable.
struct SearchRequest: Sendable {
    static let maxOffset = 1000

    var query: SearchQuery
    var channelID: String?
    var senderID: String?
    var limit: Int
    var offset: Int

    init(_ request: Request) throws {
        let parameters = request.uri.queryParameters
        try self.init { parameters.get($0) }
    }

    /// From named parameters (the query string, or an MCP tool's arguments).
    init(parameter: (String) -> String?) throws {
        do {
            // Form encoding (browsers' URLSearchParams, most HTTP clients) sends a space as `+`,
            // which the router leaves as is; `+` is no part of a word, so this changes nothing else.
            query = try SearchQuery(parsing: (parameter("q") ?? "").replacingOccurrences(of: "+", with: " "))
        } catch {
            throw Problem.validation(field: "q", error.message)
        }
        if let text = parameter("channel_id") {
            guard Identifier.isWellFormed(text, kind: .channel) else { throw Problem.validation(field: "channel_id", "must be a channel id") }
            channelID = text
        }
        if let text = parameter("sender_id") {
            guard Identifier.isWellFormed(text, kind: .user) || Identifier.isWellFormed(text, kind: .agent) else {
                throw Problem.validation(field: "sender_id", "must be a person's or an agent's id")
            }
            senderID = text
        }
        let page = try Page(parameter: parameter)
        limit = page.limit
        if let after = page.after {
            guard after.utf8.count <= 4, after.utf8.allSatisfy({ (48...57).contains($0) }), let value = Int(after), value <= Self.maxOffset else {
                throw Problem.badRequest("The cursor is not valid.")
            }
            offset = value
        } else {
            offset = 0
        }
    }

    /// The cursor of the page after one of `count` results (nil when none follows or the reachable
    /// results end).
    func nextCursor(hasMore: Bool) -> JSONValue {
        let next = offset + limit
        guard hasMore, next <= Self.maxOffset else { return .null }
        return .string(Base64URL.encode(Data(String(next).utf8)))
    }
}
