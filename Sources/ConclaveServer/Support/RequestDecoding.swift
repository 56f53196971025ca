import ConclaveCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Reads a JSON request body with the contract's error mapping: wrong content type → 415, over
/// 1 MiB → 413 (enforced while reading), malformed JSON → 400, well-formed but wrong shape → 422
/// with the offending field named, and a top-level field the operation does not define → 422
/// "unknown field" (contract v1.1 "Strict bodies").
extension Request {
    func decodeJSON<T: Decodable>(as type: T.Type, context: some RequestContext, emptyBodyAs empty: String? = nil) async throws -> T {
        var request = self
        let buffer = try await request.collectBody(upTo: context.maxUploadSize)
        var bytes = Data(buffer.readableBytesView)
        if bytes.isEmpty, let empty {
            bytes = Data(empty.utf8)
        } else {
            guard let contentType = headers[.contentType], Self.isJSON(contentType) else {
                throw Problem.unsupportedMediaType
            }
        }
        return try Self.decodeStrictJSON(bytes, as: T.self)
    }

    /// The whole body, at most `limit` bytes (413 beyond, found while reading).
    mutating func collectBody(upTo limit: Int) async throws -> ByteBuffer {
        do {
            return try await body.collect(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw Problem.contentTooLarge
        } catch is NIOTooManyBytesError {
            throw Problem.contentTooLarge
        }
    }

    /// A JSON document decoded as `T` under the same rules as a body (400 malformed, 422 wrong
    /// shape, unknown field or NUL): REST bodies and MCP tool arguments alike.
    static func decodeStrictJSON<T: Decodable>(_ bytes: Data, as type: T.Type) throws -> T {
        let value: T
        do {
            value = try JSONDecoder().decode(T.self, from: bytes)
        } catch {
            // Only a failed decode needs telling malformed JSON (400) from the wrong shape (422).
            // (The strict-body probe below parses an accepted body a second time.)
            guard (try? JSONSerialization.jsonObject(with: bytes, options: [.fragmentsAllowed])) != nil else {
                throw Problem.badRequest("The request body is not valid JSON.")
            }
            if let error = error as? DecodingError { throw Self.problem(for: error) }
            throw error
        }
        let unknown = BodyFieldProbe.unknownFields(of: T.self, in: bytes)
        if !unknown.isEmpty {
            // A client's key is echoed in the answer: bounded in count and length.
            let named = unknown.prefix(20).map { $0.count > 64 ? String($0.prefix(64)) + "…" : $0 }
            throw Problem.validation(named.map { FieldError(field: $0, message: "unknown field") },
                                     detail: "The request body has fields this operation does not define.")
        }
        if Self.mayEncodeNUL(bytes), let field = Self.pathOfNULCharacter(in: value) {
            throw Problem.validation(field: Self.jsonSpelling(of: field, in: bytes), "must not contain the NUL character (U+0000)")
        }
        return value
    }

    /// A JSON text can carry U+0000 only as the escape `\u0000` (a raw NUL byte is not valid
    /// JSON), so a body without that sequence needs no walk over the decoded value.
    static func mayEncodeNUL(_ bytes: Data) -> Bool {
        let escape = Array(#"\u0000"#.utf8)
        return bytes.withUnsafeBytes { raw in
            guard raw.count >= escape.count else { return false }
            for start in 0...(raw.count - escape.count) where raw[start] == escape[0] {
                if (1..<escape.count).allSatisfy({ raw[start + $0] == escape[$0] }) { return true }
            }
            return false
        }
    }

    /// The path of the first string the route reads (a field of the decoded request, at any
    /// depth, keys of free-form objects included) that holds U+0000, if any. No field accepts it:
    /// PostgreSQL cannot store it in text (and SQLite would keep what PostgreSQL refuses), so it is
    /// refused here, once for every route, instead of failing in the database.
    static func pathOfNULCharacter(in value: Any, path: String = "body", depth: Int = 0) -> String? {
        guard depth < 32 else { return nil }
        switch value {
        case let text as String:
            return text.utf8.contains(0) ? path : nil
        case let json as JSONValue:
            return json.containsNULCharacter ? path : nil
        default:
            break
        }
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional:
            return mirror.children.first.flatMap { pathOfNULCharacter(in: $0.value, path: path, depth: depth + 1) }
        case .collection, .set:
            for (index, child) in mirror.children.enumerated() {
                if let found = pathOfNULCharacter(in: child.value, path: path + "[\(index)]", depth: depth + 1) { return found }
            }
        case .dictionary:
            for child in mirror.children {
                let pair = Array(Mirror(reflecting: child.value).children)
                guard pair.count == 2 else { continue }
                if let key = pair[0].value as? String, key.utf8.contains(0) { return path }
                let label = (pair[0].value as? String).map { path + "." + $0 } ?? path
                if let found = pathOfNULCharacter(in: pair[1].value, path: label, depth: depth + 1) { return found }
            }
        case .struct, .class:
            for child in mirror.children {
                guard let label = child.label else { continue }
                let name = path == "body" ? label : path + "." + label
                if let found = pathOfNULCharacter(in: child.value, path: name, depth: depth + 1) { return found }
            }
        default:
            break
        }
        return nil
    }

    /// `pathOfNULCharacter` names fields by their Swift properties; a request struct whose
    /// camelCase properties decode snake_case keys (`refreshToken` from `refresh_token`, through
    /// its `CodingKeys`) is answered with the keys the client sent: each name in the path becomes
    /// the body's key at that place that differs from it only in case and underscores.
    static func jsonSpelling(of path: String, in bytes: Data) -> String {
        guard path != "body", var node = try? JSONSerialization.jsonObject(with: bytes, options: [.fragmentsAllowed]) else { return path }
        func folded(_ name: some StringProtocol) -> String { name.lowercased().replacingOccurrences(of: "_", with: "") }
        var spelled: [String] = []
        for segment in path.split(separator: ".", omittingEmptySubsequences: false) {
            let name = String(segment.prefix { $0 != "[" })
            let indices = segment.dropFirst(name.count)
            let object = node as? [String: Any]
            let key = object?[name] != nil ? name : object?.keys.first { folded($0) == folded(name) }
            node = key.flatMap { object?[$0] } ?? NSNull()
            for index in indices.split(separator: "]").compactMap({ Int($0.dropFirst()) }) {
                node = (node as? [Any]).flatMap { $0.indices.contains(index) ? $0[index] : nil } ?? NSNull()
            }
            spelled.append((key ?? name) + indices)
        }
        return spelled.joined(separator: ".")
    }

    static func isJSON(_ contentType: String) -> Bool {
        let mediaType = contentType.split(separator: ";", maxSplits: 1)[0].trimmingCharacters(in: .whitespaces).lowercased()
        return mediaType == "application/json" || (mediaType.hasPrefix("application/") && mediaType.hasSuffix("+json"))
    }

    static func problem(for error: DecodingError) -> Problem {
        func path(_ codingPath: [any CodingKey], _ last: (any CodingKey)? = nil) -> String {
            let keys = (codingPath + (last.map { [$0] } ?? [])).map { key in key.intValue.map { "[\($0)]" } ?? key.stringValue }
            let joined = keys.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
            return joined.isEmpty ? "body" : joined
        }
        switch error {
        case .keyNotFound(let key, let context):
            return .validation(field: path(context.codingPath, key), "is required")
        case .valueNotFound(_, let context):
            return .validation(field: path(context.codingPath), "must not be null")
        case .typeMismatch(let type, let context):
            return .validation(field: path(context.codingPath), "has the wrong type (expected \(Self.jsonTypeName(type)))")
        case .dataCorrupted(let context):
            return .validation(field: path(context.codingPath), "is invalid")
        @unknown default:
            return .validation(field: "body", "is invalid")
        }
    }

    static func jsonTypeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "string"
        case is Bool.Type: "boolean"
        case is Int.Type, is Int64.Type, is Int32.Type: "integer"
        case is Double.Type, is Float.Type: "number"
        default: String(describing: type).hasPrefix("Array") ? "array" : "object"
        }
    }
}

/// Path parameters: a value that is not shaped like an id is a 400, one of the wrong kind a 404.
extension RequestContext {
    func pathID(_ name: String, kind: IdentifierKind) throws -> String {
        guard let value = parameters.get(name), Identifier.isWellFormed(value) else {
            throw Problem.badRequest("'\(name)' is not a valid identifier.")
        }
        guard Identifier.isWellFormed(value, kind: kind) else { throw Problem.notFound }
        return value
    }

    func pathID(_ name: String, kinds: [IdentifierKind]) throws -> String {
        guard let value = parameters.get(name), Identifier.isWellFormed(value) else {
            throw Problem.badRequest("'\(name)' is not a valid identifier.")
        }
        guard kinds.contains(where: { Identifier.isWellFormed(value, kind: $0) }) else { throw Problem.notFound }
        return value
    }
}
