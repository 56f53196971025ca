import ConclaveCore
import ConclaveSecurity
import Foundation
import Hummingbird

/// `?limit=` (1..200, default 50) and an opaque `?cursor=`.
struct Page {
    var limit: Int
    var after: String?

    init(_ request: Request) throws {
        let query = request.uri.queryParameters
        try self.init { query.get($0) }
    }

    /// From named parameters (a query string's, or an MCP tool's arguments).
    init(parameter query: (String) -> String?) throws {
        if let text = query("limit") {
            guard let value = Int(text), (1...200).contains(value) else {
                throw Problem.validation(field: "limit", "must be an integer from 1 to 200")
            }
            limit = value
        } else {
            limit = 50
        }
        if let cursor = query("cursor"), !cursor.isEmpty {
            // Every cursor this server makes encodes printable ASCII (an id or a number; the spec's
            // pattern admits 0x20-0x7F); anything else, a NUL above all, is not one of ours and
            // never reaches the database.
            guard cursor.utf8.count <= 256, let data = Base64URL.decode(cursor), data.allSatisfy({ (0x20...0x7F).contains($0) }),
                let text = String(data: data, encoding: .utf8)
            else {
                throw Problem.badRequest("The cursor is not valid.")
            }
            after = text
        }
    }

    /// Fetch `limit + 1` rows; this trims the extra one and says where the next page starts.
    func finish<T>(_ rows: [T], key: (T) -> String) -> (page: [T], nextCursor: JSONValue) {
        guard rows.count > limit else { return (rows, .null) }
        let page = Array(rows.prefix(limit))
        return (page, .string(Base64URL.encode(Data(key(page[page.count - 1]).utf8))))
    }

    static func response(_ items: [JSONValue], next: JSONValue) -> JSONValue {
        ["data": .array(items), "next_cursor": next]
    }
}
