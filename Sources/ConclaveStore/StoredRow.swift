import SQLKit

/// A result row as the store reads it into a `Decodable` record: the property `workspaceID` is
/// the column `workspace_id`, and a `Bool` is a flag stored as the integer 0 or 1. The schema
/// keeps flags in BIGINT columns on both backends (SQLite has no boolean type), and PostgreSQL's
/// driver reads a `Bool` only from a boolean column.
struct StoredRow: SQLRow {
    let base: any SQLRow

    /// The column a property is read from: camelCase words become snake_case, and an acronym is
    /// one word (`workspaceID` → `workspace_id`, `allowedCIDRs` → `allowed_cidrs`). SQLKit's own
    /// `.convertFromSnakeCase` lowercases only a word's first letter and would look for
    /// `workspace_iD` (and, for an optional, silently find nothing).
    static func column(for property: String) -> String {
        var column = ""
        var previousWasUppercase = true
        for character in property {
            if character.isUppercase, !previousWasUppercase { column.append("_") }
            previousWasUppercase = character.isUppercase
            column.append(contentsOf: character.lowercased())
        }
        return column
    }

    static let decoder = SQLRowDecoder(
        keyDecodingStrategy: .custom { path in SomeCodingKey(stringValue: column(for: path.last?.stringValue ?? "")) }
    )

    var allColumns: [String] { base.allColumns }

    func contains(column: String) -> Bool { base.contains(column: column) }

    func decodeNil(column: String) throws -> Bool { try base.decodeNil(column: column) }

    func decode<D: Decodable>(column: String, as type: D.Type) throws -> D {
        if D.self == Bool.self, let flag = try (base.decode(column: column, as: Int64.self) != 0) as? D { return flag }
        return try base.decode(column: column, as: D.self)
    }
}

extension SQLRow {
    /// The row as a record whose properties name its columns in camelCase.
    func decodeRecord<T: Decodable>(_ type: T.Type) throws -> T {
        try StoredRow(base: self).decode(model: T.self, with: StoredRow.decoder)
    }
}

extension SQLQueryFetcher {
    func firstRecord<T: Decodable>(_ type: T.Type) async throws -> T? {
        try await first()?.decodeRecord(T.self)
    }

    func allRecords<T: Decodable>(_ type: T.Type) async throws -> [T] {
        try await all().map { try $0.decodeRecord(T.self) }
    }
}
