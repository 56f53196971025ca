import Foundation

/// A file's name and media type as given at upload, and the Content-Disposition it is served with.
enum FileName {
    static let maxLength = 255

    /// A query parameter as a form encodes it (`+` is a space, `%2B` a plus); nil when absent or
    /// not valid percent-encoded UTF-8.
    static func queryValue(_ parameter: String, in query: String?) -> String? {
        guard let query else { return nil }
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts[0] == parameter else { continue }
            let raw = parts.count > 1 ? parts[1] : ""
            return raw.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
        }
        return nil
    }

    /// 1–255 characters, no control characters, no path separators.
    static func validated(_ name: String?) throws -> String {
        guard let name, (1...maxLength).contains(name.count),
            !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0 == "/" || $0 == "\\" }),
            name != ".", name != ".."
        else {
            throw Problem.validation(field: "name", "must be 1 to \(maxLength) characters without control characters, / or \\")
        }
        return name
    }

    /// `type/subtype` (parameters kept), lowercased; application/octet-stream when absent.
    static func contentType(_ header: String?) throws -> String {
        guard let header, !header.isEmpty else { return "application/octet-stream" }
        let token = "[!#$%&'*+.^_`|~0-9A-Za-z-]+"
        guard header.utf8.count <= 255, header.range(of: "^\(token)/\(token)(\\s*;\\s*\(token)=(\(token)|\"[^\"\\\\\\p{Cc}]*\"))*$",
                                                      options: .regularExpression) != nil
        else { throw Problem.validation(field: "Content-Type", "must be a media type such as application/pdf") }
        return header.lowercased()
    }

    /// `attachment; filename="ascii"; filename*=UTF-8''percent-encoded` (RFC 6266): the quoted
    /// fallback holds only safe printable ASCII, the extended form the exact name.
    static func contentDisposition(_ name: String) -> String {
        let fallback = String(name.unicodeScalars.map { scalar in
            scalar.isASCII && scalar.value >= 0x20 && scalar.value < 0x7F && scalar != "\"" && scalar != "\\" && scalar != "%"
                ? Character(scalar) : "_"
        })
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)...Unicode.Scalar(127)))
        allowed.insert(charactersIn: "!#$&+-.^_`|~")
        let encoded = name.addingPercentEncoding(withAllowedCharacters: allowed) ?? fallback
        return "attachment; filename=\"\(fallback)\"; filename*=UTF-8''\(encoded)"
    }
}
