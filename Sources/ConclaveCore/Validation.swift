/// Field validators shared by every route; each returns a client-facing message or nil.
public enum Validation {
    public static func email(_ value: String) -> String? {
        let trimmed = value
        guard (3...254).contains(trimmed.utf8.count) else { return "must be an email address of at most 254 characters" }
        let parts = trimmed.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].utf8.count <= 64, parts[1].contains("."),
            !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
            !trimmed.contains(where: { $0.isWhitespace || $0.isNewline })
        else { return "must be an email address" }
        return nil
    }

    /// Normalised form used for lookups: emails compare case-insensitively.
    public static func normalizedEmail(_ value: String) -> String {
        value.lowercased()
    }

    /// Display names: 1–80 characters, no control characters.
    public static func displayName(_ value: String, maxLength: Int = 80) -> String? {
        let trimmed = value.trimmingSpaces
        guard !trimmed.isEmpty, trimmed.count <= maxLength else { return "must be 1 to \(maxLength) characters" }
        guard !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            return "must not contain control characters"
        }
        return nil
    }
}
