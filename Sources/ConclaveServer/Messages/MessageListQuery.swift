import ConclaveCore
import Hummingbird

/// `GET …/messages` parameters: a seq window (`after_seq`, `before_seq`, or `cursor` continuing
/// the page's own direction), `order` (`asc`, the default, or `desc`: newest first, paging back),
/// `limit` (1..200, default 50) and an optional `thread_id`.
struct MessageListQuery: Sendable {
    var afterSeq: Int64?
    var beforeSeq: Int64?
    var limit = 50
    var threadID: String?
    /// The page's messages newest first (contract v1.1 `order=desc`).
    var newestFirst = false

    /// Read from the newest end of the window: `order=desc`, or (in `asc` order) a `before_seq`
    /// window without an `after_seq`, whose page is the one just before it, shown oldest first.
    var descending: Bool { newestFirst || (beforeSeq != nil && afterSeq == nil) }

    init(_ request: Request) throws {
        let query = request.uri.queryParameters
        try self.init { query.get($0) }
    }

    /// From named parameters (a query string's, or an MCP tool's arguments).
    init(parameter get: (String) -> String?) throws {
        func seq(_ name: String) throws -> Int64? {
            guard let text = get(name) else { return nil }
            guard let value = Int64(text), value >= 0 else { throw Problem.validation(field: name, "must be a non-negative integer") }
            return value
        }
        afterSeq = try seq("after_seq")
        beforeSeq = try seq("before_seq")
        switch get("order") {
        case nil, "asc": newestFirst = false
        case "desc": newestFirst = true
        default: throw Problem.validation(field: "order", "must be asc or desc")
        }
        // `cursor` (the contract's generic paging) continues in the page's own direction, so a
        // client that repeats its query with `cursor=<next_cursor>` walks the whole list.
        if let text = get("cursor") {
            // Only what this list hands out as next_cursor: 1 to 18 decimal digits.
            guard (1...18).contains(text.utf8.count), text.utf8.allSatisfy({ (48...57).contains($0) }), let cursor = Int64(text) else {
                throw Problem.validation(field: "cursor", "is not a cursor of this list")
            }
            if newestFirst || (beforeSeq != nil && afterSeq == nil) { beforeSeq = cursor } else { afterSeq = cursor }
        }
        if let text = get("limit") {
            guard let value = Int(text), (1...200).contains(value) else { throw Problem.validation(field: "limit", "must be an integer from 1 to 200") }
            limit = value
        }
        if let text = get("thread_id") {
            guard Identifier.isWellFormed(text, kind: .message) else { throw Problem.validation(field: "thread_id", "must be a message id") }
            threadID = text
        }
    }
}
