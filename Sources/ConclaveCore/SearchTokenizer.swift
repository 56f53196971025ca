/// Splits text into the words search indexes and matches: runs of letters, numbers and
/// private-use characters (SQLite FTS5's `unicode61` token characters, `L* N* Co`), lowercased.
/// Everything else (spaces, punctuation, symbols, emoji) separates words. The query parser and the
/// highlighter both use it, so what a query asks for is what the index holds.
public enum SearchTokenizer {
    /// One word of a text: its lowercased form and where it is, in Unicode scalar offsets.
    public struct Token: Sendable, Equatable {
        public var word: String
        public var range: Range<Int>
    }

    public static func tokens(in text: some StringProtocol) -> [Token] {
        var tokens: [Token] = []
        var current = String.UnicodeScalarView()
        var start = 0
        var offset = 0
        func finish() {
            if !current.isEmpty {
                tokens.append(Token(word: String(current).lowercased(), range: start..<offset))
                current = String.UnicodeScalarView()
            }
        }
        for scalar in text.unicodeScalars {
            if isWordScalar(scalar) {
                if current.isEmpty { start = offset }
                current.append(scalar)
            } else {
                finish()
            }
            offset += 1
        }
        finish()
        return tokens
    }

    public static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .decimalNumber, .letterNumber, .otherNumber, .privateUse:
            return true
        default:
            return false
        }
    }
}
