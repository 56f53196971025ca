import ConclaveCore
import Foundation

/// Parses stored JSON text back into a `JSONValue`.
enum JSONValueParser {
    static func parse(_ text: String) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }
}
