import MCP

/// JSON Schema fragments for the tools' inputs: every object closed (`additionalProperties:
/// false`, as the arguments are decoded as strictly as a REST body), every string and number
/// bounded as its REST route bounds it.
enum MCPSchema {
    static func object(_ properties: [String: Value], required: [String] = []) -> Value {
        var schema: [String: Value] = ["type": "object", "properties": .object(properties), "additionalProperties": false]
        if !required.isEmpty { schema["required"] = .array(required.map(Value.string)) }
        return .object(schema)
    }

    static func string(_ description: String, maxLength: Int, minLength: Int = 1) -> Value {
        ["type": "string", "description": .string(description), "minLength": .int(minLength), "maxLength": .int(maxLength)]
    }

    static func integer(_ description: String, minimum: Int, maximum: Int? = nil) -> Value {
        var schema: [String: Value] = ["type": "integer", "description": .string(description), "minimum": .int(minimum)]
        if let maximum { schema["maximum"] = .int(maximum) }
        return .object(schema)
    }

    static func array(_ description: String, of items: Value, minItems: Int, maxItems: Int) -> Value {
        ["type": "array", "description": .string(description), "items": items, "minItems": .int(minItems), "maxItems": .int(maxItems),
         "uniqueItems": true]
    }

    static func enumeration(_ description: String, _ values: [String]) -> Value {
        ["type": "string", "description": .string(description), "enum": .array(values.map(Value.string))]
    }

    /// An object id of the given prefix (`ch`, `msg`, `ws`).
    static func id(_ description: String) -> Value {
        string(description, maxLength: 64)
    }
}
