/// Password rules from OWASP ASVS 5.0 V6.2 (and NIST SP 800-63B): length and blocklist only.
///
/// Deliberately no composition rules (V6.2.5) and no rotation: they push users to predictable
/// patterns. Length counts Unicode scalars, as NIST asks, so "é" typed either precomposed or
/// decomposed is never silently cut short by a grapheme count.
public struct PasswordPolicy: Sendable {
    /// One reason a password is refused; `code` and `message` are safe to return as a 422 field error.
    public enum Violation: Sendable, Equatable {
        /// Fewer than `minimum` characters.
        case tooShort(minimum: Int)
        /// More than `maximum` characters.
        case tooLong(maximum: Int)
        /// Among the most common leaked passwords (compared case-insensitively).
        case commonPassword
        /// Contains a word specific to this account or service, such as the username.
        case containsContextWord

        /// Stable machine-readable identifier.
        public var code: String {
            switch self {
            case .tooShort: "password_too_short"
            case .tooLong: "password_too_long"
            case .commonPassword: "password_too_common"
            case .containsContextWord: "password_contains_context_word"
            }
        }

        /// Human-readable explanation; never echoes the password.
        public var message: String {
            switch self {
            case .tooShort(let minimum): "Password must be at least \(minimum) characters long."
            case .tooLong(let maximum): "Password must be at most \(maximum) characters long."
            case .commonPassword: "This password is too common; choose a less predictable one."
            case .containsContextWord: "Password must not contain your username, email address or the service name."
            }
        }
    }

    /// Minimum length in Unicode scalars (ASVS V6.2.1: at least 8).
    public let minimumLength: Int
    /// Maximum length in Unicode scalars (ASVS V6.2.9 needs at least 64 to be allowed).
    public let maximumLength: Int
    /// Words shorter than this are not checked as context words, or "al" in a username would
    /// forbid "always".
    public static let minimumContextWordLength = 4
    /// Always context words, whoever the account: the service's own name.
    public static let serviceWords = ["conclave"]

    /// Creates a policy; defaults are 8 and 128 characters.
    public init(minimumLength: Int = 8, maximumLength: Int = 128) {
        self.minimumLength = minimumLength
        self.maximumLength = maximumLength
    }

    /// Returns every rule `password` breaks; empty means acceptable.
    ///
    /// - Parameter contextWords: account-specific words the password must not contain
    ///   (ASVS V6.2.11), e.g. name, email (whose local part is checked too), workspace name; the
    ///   service name is always checked. Compared case-insensitively.
    public func violations(for password: String, contextWords: [String] = []) -> [Violation] {
        var result: [Violation] = []
        let length = password.unicodeScalars.count
        if length < minimumLength { result.append(.tooShort(minimum: minimumLength)) }
        if length > maximumLength {
            // Skip the remaining checks: lower-casing and searching an unbounded string is work
            // an attacker could otherwise make us do.
            result.append(.tooLong(maximum: maximumLength))
            return result
        }
        let folded = password.lowercased()
        if CommonPasswords.all.contains(folded) { result.append(.commonPassword) }
        // An email address counts whole and by its local part ("alice" of alice@example.com).
        let words = contextWords.flatMap { word in
            word.contains("@") ? [word, String(word.prefix { $0 != "@" })] : [word]
        } + Self.serviceWords
        let containsContextWord = words.contains { word in
            let foldedWord = word.lowercased()
            return foldedWord.unicodeScalars.count >= Self.minimumContextWordLength && folded.contains(foldedWord)
        }
        if containsContextWord { result.append(.containsContextWord) }
        return result
    }

    /// Returns whether `password` breaks no rule.
    public func isAcceptable(_ password: String, contextWords: [String] = []) -> Bool {
        violations(for: password, contextWords: contextWords).isEmpty
    }
}
