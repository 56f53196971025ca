import Foundation
import HTTPTypes
import Hummingbird

/// Extracts the credential from `Authorization: Bearer <token>`.
enum BearerToken {
    static let maximumLength = 4096

    static func from(_ request: Request) -> String? {
        authorization(request.headers).flatMap(parse)
    }

    /// The request's Authorization value exactly as `headers[.authorization]` gives it, but
    /// without that subscript's generic join for the usual single field: the join cost more
    /// than the rest of checking an API key. Several fields still go through the subscript.
    static func authorization(_ headers: HTTPFields) -> String? {
        var value: String?
        for field in headers where field.name == .authorization {
            guard value == nil else { return headers[.authorization] }
            value = field.value
        }
        return value
    }

    /// The token of a header value: leading spaces skipped, the scheme case-insensitive and ended
    /// by a space, whitespace around the token ignored. Runs on every authenticated request, so
    /// it walks the header's own bytes and copies nothing but the token.
    static func parse(_ header: String) -> String? {
        if let token = header.utf8.withContiguousStorageIfAvailable(token(in:)) { return token }
        return Array(header.utf8).withUnsafeBufferPointer(token(in:))
    }

    private static func token(in bytes: UnsafeBufferPointer<UInt8>) -> String? {
        let space = UInt8(ascii: " ")
        guard let schemeStart = bytes.firstIndex(where: { $0 != space }),
            let schemeEnd = bytes[schemeStart...].firstIndex(of: space),
            isBearer(bytes[schemeStart..<schemeEnd])
        else { return nil }
        let rest = UnsafeBufferPointer(rebasing: bytes[(schemeEnd + 1)...])
        var token = String(decoding: rest, as: UTF8.self)
        if !startsAndEndsVisibly(rest) {
            // Rare (tabs, extra or Unicode spaces): Foundation's trimming defines "whitespace".
            token = token.trimmingCharacters(in: .whitespaces)
        }
        guard !token.isEmpty, token.utf8.count <= maximumLength else { return nil }
        return token
    }

    /// ASCII case-insensitive "bearer"; no other Unicode text lower-cases to it.
    private static func isBearer(_ scheme: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        guard scheme.count == bearer.count else { return false }
        var offset = 0
        for byte in scheme {
            guard byte | 0x20 == bearer[offset] else { return false }
            offset += 1
        }
        return true
    }

    private static let bearer = Array("bearer".utf8)

    /// Whether the first and last bytes are visible ASCII, so trimming would change nothing.
    private static func startsAndEndsVisibly(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = bytes.first, let last = bytes.last else { return false }
        return (0x21...0x7E).contains(first) && (0x21...0x7E).contains(last)
    }
}
