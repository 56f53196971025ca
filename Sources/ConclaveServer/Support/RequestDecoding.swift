import ConclaveCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Reads a JSON request body with the contract's error mapping: wrong content type → 415, over
/// 1 MiB → 413 (enforced while reading), malformed JSON → 400, well-formed but wrong shape → 422
/// with the offending field named.
extension Request {
    func decodeJSON<T: Decodable>(as type: T.Type, context: AppRequestContext, emptyBodyAs empty: String? = nil) async throws -> T {
        var request = self
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: context.maxUploadSize)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw Problem.contentTooLarge
        } catch is NIOTooManyBytesError {
            throw Problem.contentTooLarge
        }
        var bytes = Data(buffer.readableBytesView)
        if bytes.isEmpty, let empty {
            bytes = Data(empty.utf8)
        } else {
            guard let contentType = headers[.contentType], Self.isJSON(contentType) else {
                throw Problem.unsupportedMediaType
            }
        }
        guard (try? JSONSerialization.jsonObject(with: bytes, options: [.fragmentsAllowed])) != nil else {
            throw Problem.badRequest("The request body is not valid JSON.")
        }
        do {
            return try JSONDecoder().decode(T.self, from: bytes)
        } catch let error as DecodingError {
            throw Self.problem(for: error)
        } catch let problem as Problem {
            throw problem
        }
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
extension AppRequestContext {
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
