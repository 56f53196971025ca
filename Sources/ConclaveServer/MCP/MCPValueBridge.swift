import ConclaveCore
import MCP

/// Conclave's `JSONValue` as the MCP SDK's `Value` (tool results are built from the same JSON
/// the REST routes answer with).
enum MCPValueBridge {
    static func value(_ json: JSONValue) -> Value {
        switch json {
        case .null: .null
        case .bool(let value): .bool(value)
        case .int(let value): .int(Int(value))
        case .double(let value): .double(value)
        case .string(let value): .string(value)
        case .array(let values): .array(values.map(value))
        case .object(let fields): .object(fields.mapValues(value))
        }
    }
}
