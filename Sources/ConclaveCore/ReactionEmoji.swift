/// What a reaction may be (contract v1.1): one Unicode emoji — a single extended grapheme
/// cluster that is an emoji, ZWJ sequences, skin tones, flags and keycaps included — or a
/// `:short_name:` of `[a-z0-9_+-]{1,62}` between colons. Anything else is refused, so a reaction
/// can never carry text.
public struct ReactionEmoji: Sendable, Hashable, CustomStringConvertible {
    public static let maxLength = 64

    public let value: String
    public var description: String { value }

    /// Nil unless `text` is one emoji or a short name.
    public init?(_ text: String) {
        guard !text.isEmpty, text.unicodeScalars.count <= Self.maxLength else { return nil }
        guard Self.isShortName(text) || Self.isSingleEmoji(text) else { return nil }
        value = text
    }

    static let shortNameCharacters = Set("abcdefghijklmnopqrstuvwxyz0123456789_+-".unicodeScalars)

    static func isShortName(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        guard scalars.count >= 3, scalars.count <= maxLength, scalars.first == ":", scalars.last == ":" else { return false }
        return scalars.dropFirst().dropLast().allSatisfy { shortNameCharacters.contains($0) }
    }

    static let zeroWidthJoiner: Unicode.Scalar = "\u{200D}"
    static let emojiPresentationSelector: Unicode.Scalar = "\u{FE0F}"
    static let keycapMark: Unicode.Scalar = "\u{20E3}"
    /// Tag characters spell subdivision flags (🏴 + tags + cancel tag).
    static let tags: ClosedRange<UInt32> = 0xE0020...0xE007F

    /// One grapheme cluster, made only of emoji and the scalars that join or present them, and
    /// shown as an emoji: a scalar with emoji presentation, or one made so by U+FE0F, a keycap
    /// mark or a skin-tone modifier. "1", "#" or "©" alone are emoji characters by Unicode's
    /// property but are text; they count only in their emoji form ("1️⃣", "©️").
    static func isSingleEmoji(_ text: String) -> Bool {
        guard text.count == 1 else { return false }
        var presented = false
        var hasBase = false
        for scalar in text.unicodeScalars {
            let properties = scalar.properties
            if scalar == zeroWidthJoiner || tags.contains(scalar.value) { continue }
            if scalar == emojiPresentationSelector || scalar == keycapMark || properties.isEmojiModifier {
                presented = true
                continue
            }
            guard properties.isEmoji else { return false }
            hasBase = true
            if properties.isEmojiPresentation { presented = true }
        }
        // A selector or joiner on its own presents nothing.
        return hasBase && presented
    }
}
