/// `@handle` in message text: finding the words that may name a member, and writing the ones
/// that do as `<@id>`. Pure: the caller looks the candidate handles up in its workspace.
///
/// An `@` starts a mention only at a word boundary: at the start of the text or after a character
/// that cannot end a word, an address or a path (so `user@example.com`, `x.@bob`, `a/@b` and the
/// `<@usr_…>` form are left alone). What follows is the longest run of handle characters (letters
/// of either case, compared in lowercase); it must end at the end of the text or before a character
/// that cannot continue a word. When the whole run is not a member's handle, the run without its
/// trailing `.`, `_` and `-` is tried, so "@bob." and "@bob-" mention bob while "@bobby" and
/// "@bob.smith" never mention bob.
public enum HandleMentions {
    /// At most this many `@` words of one text are considered; the rest stay text.
    public static let maxCandidates = 100

    /// One `@word`: the UTF-8 offsets of `@` and of the end of its run, and the handles it may
    /// name, the longest first.
    public struct Candidate: Sendable, Equatable {
        public let start: Int
        public let end: Int
        public let handles: [Handle]
    }

    public static func candidates(in text: String) -> [Candidate] {
        let bytes = Array(text.utf8)
        var found: [Candidate] = []
        var index = 0
        while index < bytes.count, found.count < maxCandidates {
            defer { index += 1 }
            guard bytes[index] == UInt8(ascii: "@"), startsWord(bytes, at: index) else { continue }
            var end = index + 1
            while end < bytes.count, isRunByte(bytes[end]) { end += 1 }
            guard end > index + 1, endsWord(bytes, at: end) else { continue }
            let run = bytes[(index + 1)..<end].map(lowercased)
            var handles: [Handle] = []
            var length = run.count
            while length > 0 {
                if length <= Handle.maxLength, let handle = Handle(String(decoding: run.prefix(length), as: UTF8.self)) {
                    handles.append(handle)
                }
                // Only trailing punctuation may be left out of a mention.
                guard Handle.isHandleByte(run[length - 1]), !Handle.isLetterOrDigit(run[length - 1]) else { break }
                length -= 1
            }
            if !handles.isEmpty {
                found.append(Candidate(start: index, end: end, handles: handles))
                index = end - 1
            }
        }
        return found
    }

    /// Every handle any candidate may name, each once.
    public static func handles(in candidates: [Candidate]) -> [Handle] {
        var seen = Set<Handle>()
        return candidates.flatMap(\.handles).filter { seen.insert($0).inserted }
    }

    /// `text` with each candidate whose handle is in `ids` (handle → principal id) written as
    /// `<@id>`; the punctuation left out of a mention stays after it, unknown `@words` stay as written.
    public static func rewrite(_ text: String, candidates: [Candidate], ids: [Handle: String]) -> String {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var copied = 0
        for candidate in candidates {
            guard let handle = candidate.handles.first(where: { ids[$0] != nil }), let id = ids[handle] else { continue }
            out += bytes[copied..<candidate.start]
            out += Array("<@\(id)>".utf8)
            copied = candidate.start + 1 + handle.value.utf8.count
        }
        out += bytes[copied...]
        return String(decoding: out, as: UTF8.self)
    }

    /// Characters of the run after `@`: handle characters, and capitals (compared in lowercase).
    static func isRunByte(_ byte: UInt8) -> Bool {
        Handle.isHandleByte(byte) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
    }

    static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
    }

    /// Whether the `@` at `index` begins a word: nothing before it that belongs to a word, an
    /// email address's local part, a path or the `<@id>` form.
    static func startsWord(_ bytes: [UInt8], at index: Int) -> Bool {
        guard index > 0 else { return true }
        let before = bytes[index - 1]
        if before >= 0x80 {
            return !continuesWord(lastScalarBefore: index, in: bytes)
        }
        return !(isRunByte(before) || Array("+@</\\=&%".utf8).contains(before))
    }

    /// Whether the run ending at `end` ends the word: the end of the text, or a character that
    /// cannot continue it (not a letter, digit or mark of any script, nor `@`).
    static func endsWord(_ bytes: [UInt8], at end: Int) -> Bool {
        guard end < bytes.count else { return true }
        let next = bytes[end]
        if next >= 0x80 {
            guard let scalar = String(decoding: bytes[end...].prefix(4), as: UTF8.self).unicodeScalars.first else { return true }
            return !isWordScalar(scalar)
        }
        return next != UInt8(ascii: "@")
    }

    static func continuesWord(lastScalarBefore index: Int, in bytes: [UInt8]) -> Bool {
        var start = index - 1
        // Back to the first byte of the UTF-8 sequence (continuation bytes are 10xxxxxx).
        while start > 0, bytes[start] & 0xC0 == 0x80 { start -= 1 }
        guard let scalar = String(decoding: bytes[start..<index], as: UTF8.self).unicodeScalars.first else { return false }
        return isWordScalar(scalar)
    }

    static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        let properties = scalar.properties
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return properties.isAlphabetic || properties.numericType != nil
        }
    }
}
