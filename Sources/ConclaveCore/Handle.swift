import Foundation

/// A member's handle in one workspace: the name people and agents write after `@` to mention it.
/// `[a-z0-9][a-z0-9._-]{0,31}`, unique in its workspace (the store enforces that).
///
/// Some well-formed handles are reserved and never given out: the words a future `@channel`-style
/// broadcast would need, and anything shaped like an identifier (`usr_0123456789`), so a handle
/// can never be confused with the `<@id>` form of a mention.
public struct Handle: Sendable, Hashable, CustomStringConvertible {
    public static let maxLength = 32
    static let reservedWords: Set<String> = ["channel", "here", "everyone"]

    public let value: String

    /// What a derived handle falls back to when nothing of the name is usable.
    public static let agent = Handle(checked: "agent")
    public static let member = Handle(checked: "member")

    /// A handle someone chose; nil when `text` is not one (see `problem(with:)` for why).
    public init?(_ text: String) {
        guard Self.problem(with: text) == nil else { return nil }
        value = text
    }

    /// Only for text already known to be a valid, unreserved handle.
    init(checked text: String) {
        value = text
    }

    public var description: String { value }

    /// Why `text` cannot be a handle, as a client-facing message, or nil when it can.
    public static func problem(with text: String) -> String? {
        let bytes = Array(text.utf8)
        guard (1...maxLength).contains(bytes.count), let first = bytes.first, isLetterOrDigit(first), bytes.allSatisfy(isHandleByte) else {
            return "must be 1 to \(maxLength) characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit"
        }
        guard !reservedWords.contains(text), !Identifier.isWellFormed(text) else { return "is reserved" }
        return nil
    }

    /// The handle `name` suggests: lowercase ASCII letters and digits, accents dropped (é → e),
    /// apostrophes dropped, every other run of characters one `-`, at most 32 characters,
    /// starting with a letter or digit and ending with one. `fallback` (itself a valid handle)
    /// when nothing of the name is left, as with a name in a script other than Latin.
    public static func derived(from name: String, fallback: Handle) -> Handle {
        var out: [UInt8] = []
        let separator = UInt8(ascii: "-")
        for scalar in name.decomposedStringWithCanonicalMapping.lowercased().unicodeScalars {
            switch scalar.properties.generalCategory {
            case .nonspacingMark, .spacingMark, .enclosingMark: continue
            default: break
            }
            if scalar == "'" || scalar == "\u{2019}" { continue }
            let byte = scalar.isASCII ? UInt8(scalar.value) : separator
            let kept = isHandleByte(byte) ? byte : separator
            // A run of punctuation keeps its first character: "a - b" → "a-b", "j. doe" → "j.doe".
            if !isLetterOrDigit(kept), let last = out.last, !isLetterOrDigit(last) { continue }
            // Nothing before the first letter or digit.
            if !isLetterOrDigit(kept), out.isEmpty { continue }
            out.append(kept)
        }
        let handle = trimmedEnd(out.prefix(maxLength))
        guard !handle.isEmpty else { return fallback }
        let text = String(decoding: handle, as: UTF8.self)
        // A name that happens to spell a reserved handle gets the first numbered one instead.
        return problem(with: text) == nil ? Handle(checked: text) : Handle(checked: text).numbered(2)
    }

    /// This handle with `-n` appended (shortened first to stay within 32 characters): how a
    /// derived handle that is taken becomes one that is not, `bob` → `bob-2`.
    public func numbered(_ n: Int) -> Handle {
        let suffix = Array("-\(n)".utf8)
        let base = Self.trimmedEnd(Array(value.utf8).prefix(Self.maxLength - suffix.count))
        return Handle(checked: String(decoding: base + suffix, as: UTF8.self))
    }

    /// A prefix without trailing punctuation: a derived handle ends with a letter or digit, so
    /// "@bob." in text mentions bob.
    static func trimmedEnd(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        var bytes = bytes
        while let last = bytes.last, !isLetterOrDigit(last) { bytes.removeLast() }
        return Array(bytes)
    }

    static func isLetterOrDigit(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }

    /// The characters a handle is made of.
    static func isHandleByte(_ byte: UInt8) -> Bool {
        isLetterOrDigit(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
    }
}
