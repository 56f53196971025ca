/// A search's `q`, parsed into terms that must all match: words (`deploy`), prefixes (`deploy*`)
/// and quoted phrases (`"deploy the app"`). A word that holds punctuation (`foo-bar`, `v1.2`)
/// is the phrase of its parts, as the index stores them.
///
/// User text never reaches the database's query language: only the parsed words do, each made of
/// letters and numbers alone (`SearchTokenizer`), quoted by `ftsMatchExpression` /
/// `tsqueryExpression`. Operators typed by the user (`OR`, `NEAR`, `-`, `:`, `&`, `!`, `(`) are
/// separators or plain words; a quote left open closes at the end of `q`.
public struct SearchQuery: Sendable, Equatable {
    public static let maxLength = 256
    public static let maxWords = 16
    public static let maxWordLength = 64
    /// `a*` would stand for most of the index; a prefix names at least this many characters.
    public static let minPrefixLength = 2

    /// Consecutive words that must appear in this order; the last one as a prefix when `prefix`.
    public struct Term: Sendable, Equatable {
        public var words: [String]
        public var prefix: Bool

        public init(words: [String], prefix: Bool = false) {
            self.words = words
            self.prefix = prefix
        }
    }

    public enum Failure: Error, Equatable {
        case empty
        case tooLong
        case tooManyWords
        case wordTooLong
        case prefixTooShort

        /// Why `q` was refused, for the 422 naming `q`.
        public var message: String {
            switch self {
            case .empty: "must contain at least one word (letters or digits)"
            case .tooLong: "must be at most \(SearchQuery.maxLength) characters"
            case .tooManyWords: "may contain at most \(SearchQuery.maxWords) words"
            case .wordTooLong: "words must be at most \(SearchQuery.maxWordLength) characters"
            case .prefixTooShort: "a prefix (word*) needs at least \(SearchQuery.minPrefixLength) characters"
            }
        }
    }

    public var terms: [Term]

    public init(terms: [Term]) {
        self.terms = terms
    }

    public init(parsing text: String) throws(Failure) {
        guard text.count <= Self.maxLength else { throw .tooLong }
        var terms: [Term] = []
        var rest = Substring(text)
        while let next = rest.first {
            if next == "\"" {
                let inner = rest.dropFirst()
                let close = inner.firstIndex(of: "\"") ?? inner.endIndex
                var afterClose = close < inner.endIndex ? inner[inner.index(after: close)...] : inner[close...]
                let prefix = afterClose.first == "*"
                if prefix { afterClose = afterClose.dropFirst() }
                try Self.append(inner[..<close], prefix: prefix, to: &terms)
                rest = afterClose
            } else if next.isWhitespace {
                rest = rest.dropFirst()
            } else {
                let end = rest.firstIndex(where: { $0.isWhitespace || $0 == "\"" }) ?? rest.endIndex
                var word = rest[..<end]
                let prefix = word.last == "*"
                while word.last == "*" { word = word.dropLast() }
                try Self.append(word, prefix: prefix, to: &terms)
                rest = rest[end...]
            }
        }
        guard !terms.isEmpty else { throw .empty }
        guard terms.reduce(0, { $0 + $1.words.count }) <= Self.maxWords else { throw .tooManyWords }
        self.terms = terms
    }

    private static func append(_ text: Substring, prefix: Bool, to terms: inout [Term]) throws(Failure) {
        let words = SearchTokenizer.tokens(in: text).map(\.word)
        guard let last = words.last else { return }
        guard words.allSatisfy({ $0.unicodeScalars.count <= maxWordLength }) else { throw .wordTooLong }
        if prefix, last.unicodeScalars.count < minPrefixLength { throw .prefixTooShort }
        terms.append(Term(words: words, prefix: prefix))
    }

    /// The SQLite FTS5 MATCH expression: every term required, each a phrase of quoted words
    /// (`"deploy" + "the" + "app"`), a prefix marked `*` after its last word.
    public var ftsMatchExpression: String {
        terms.map { term in
            term.words.map { "\"\($0)\"" }.joined(separator: " + ") + (term.prefix ? " *" : "")
        }.joined(separator: " AND ")
    }

    /// The PostgreSQL `to_tsquery` text: every term required (`&`), words of a phrase adjacent
    /// (`<->`), each quoted, a prefix marked `:*`.
    public var tsqueryExpression: String {
        terms.map { term in
            let words = term.words.enumerated().map { index, word in
                "'\(word)'" + (term.prefix && index == term.words.count - 1 ? ":*" : "")
            }
            return "(" + words.joined(separator: " <-> ") + ")"
        }.joined(separator: " & ")
    }

    /// Where the terms occur in `text`, as sorted, non-overlapping Unicode scalar offset ranges:
    /// each matched word, and a phrase as one range from its first word to its last.
    public func highlights(in text: String) -> [Range<Int>] {
        let tokens = SearchTokenizer.tokens(in: text)
        var ranges: [Range<Int>] = []
        for term in terms {
            guard term.words.count <= tokens.count else { continue }
            for start in 0...(tokens.count - term.words.count) {
                let matches = term.words.indices.allSatisfy { index in
                    let word = tokens[start + index].word
                    let last = index == term.words.count - 1
                    return term.prefix && last ? word.hasPrefix(term.words[index]) : word == term.words[index]
                }
                if matches {
                    ranges.append(tokens[start].range.lowerBound..<tokens[start + term.words.count - 1].range.upperBound)
                }
            }
        }
        return Self.merged(ranges)
    }

    static func merged(_ ranges: [Range<Int>]) -> [Range<Int>] {
        var result: [Range<Int>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = result.last, range.lowerBound <= last.upperBound {
                result[result.count - 1] = last.lowerBound..<max(last.upperBound, range.upperBound)
            } else {
                result.append(range)
            }
        }
        return result
    }
}
