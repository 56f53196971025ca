import ConclaveCore
import ConclaveStore
import Foundation

/// A file as messages show it (`{id,name,size,content_type,sha256}`), stored as JSON in
/// `messages.files` so listing messages needs no join.
struct FileSummary: Codable, Sendable, Equatable {
    let id: String
    let name: String
    let size: Int64
    let contentType: String
    let sha256: String

    enum CodingKeys: String, CodingKey {
        case id, name, size, sha256
        case contentType = "content_type"
    }

    init(_ file: FileRecord) {
        self.id = file.id
        self.name = file.name
        self.size = file.size
        self.contentType = file.contentType
        self.sha256 = file.sha256
    }

    /// The column's text; nil for no files.
    static func stored(_ files: [FileSummary]) -> String? {
        guard !files.isEmpty else { return nil }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: (try? encoder.encode(files)) ?? Data("[]".utf8), as: UTF8.self)
    }

    static func decode(_ text: String?) -> [FileSummary] {
        guard let text else { return [] }
        return (try? JSONDecoder().decode([FileSummary].self, from: Data(text.utf8))) ?? []
    }

    var json: JSONValue {
        ["id": .string(id), "name": .string(name), "size": .int(size), "content_type": .string(contentType), "sha256": .string(sha256)]
    }
}
