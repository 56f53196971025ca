import Foundation

/// The text form of a stream position across a principal's workspaces:
/// `c1.` + base64url("ws_A=12;ws_B=5"). Clients treat it as opaque; it arrives in `resume_from`
/// and `after`, so decoding is strict and bounded. The base64url coding is passed in
/// (ConclaveSecurity's strict `Base64URL`), which keeps this module free of dependencies.
public enum StreamCursorCodec {
    /// Longer texts are refused before decoding.
    public static let maxLength = 8192
    /// The format version.
    public static let prefix = "c1."

    /// The text for `positions` (workspace id → last delivered seq).
    public static func encode(_ positions: [String: Int64], base64URL: (Data) -> String) -> String {
        let body = positions.keys.sorted().map { "\($0)=\(positions[$0]!)" }.joined(separator: ";")
        return prefix + base64URL(Data(body.utf8))
    }

    /// The positions in `text`, or nil unless it is a cursor: the prefix, base64url of UTF-8, and
    /// `;`-separated `workspace_id=seq` items with well-formed workspace ids and seq ≥ 0.
    public static func decode(_ text: String, base64URL: (Substring) -> Data?) -> [String: Int64]? {
        guard text.utf8.count <= maxLength, text.hasPrefix(prefix),
            let data = base64URL(text.dropFirst(prefix.count)), let body = String(data: data, encoding: .utf8)
        else { return nil }
        var positions: [String: Int64] = [:]
        for item in body.split(separator: ";") {
            let parts = item.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, Identifier.isWellFormed(parts[0], kind: .workspace), let seq = Int64(parts[1]), seq >= 0 else { return nil }
            positions[String(parts[0])] = seq
        }
        return positions
    }
}
