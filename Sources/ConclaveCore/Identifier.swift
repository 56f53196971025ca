import Foundation

/// The type prefixes of Conclave's opaque identifiers (`usr_…`, `ws_…`).
public enum IdentifierKind: String, Sendable, CaseIterable {
    case user = "usr"
    case agent = "agt"
    case workspace = "ws"
    case channel = "ch"
    case message = "msg"
    case apiKey = "key"
    case invite = "inv"
    case session = "ses"
    case webhook = "whk"
    /// A webhook delivery (its `webhook-id`); time-prefixed like messages, so they list in order.
    case webhookDelivery = "dlv"
    case file = "fil"
    case audit = "aud"
    case request = "req"
}

/// Generation and validation of prefixed identifiers.
///
/// The random part is 20 base62 characters (about 119 bits) drawn from the system CSPRNG, so an
/// identifier is unguessable even where an authorization check would be missing. Message ids
/// also start with 8 characters of the creation time in milliseconds, so they sort by time and
/// a new message lands at the end of every index keyed by its id instead of on a random page
/// (one dirty page per batch of sends, not one per message); the time they reveal is the
/// message's own `created_at`.
public enum Identifier {
    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
    static let randomLength = 20
    /// 62^8 ms is about 6,900 years: enough for a fixed-width, sortable time prefix.
    static let timeLength = 8

    public static func generate(_ kind: IdentifierKind) -> String {
        var symbols = [UInt8]()
        symbols.reserveCapacity(timeLength + randomLength)
        if kind == .message || kind == .webhookDelivery {
            appendTime(milliseconds: Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)), into: &symbols)
        }
        appendRandom(count: randomLength, into: &symbols)
        return kind.rawValue + "_" + String(decoding: symbols, as: UTF8.self)
    }

    /// The current time in milliseconds as `timeLength` base62 symbols, most significant first
    /// (the alphabet is in ASCII order, so the text sorts like the number).
    static func appendTime(milliseconds: Int64, into symbols: inout [UInt8]) {
        var value = UInt64(max(0, milliseconds))
        var digits = [UInt8](repeating: alphabet[0], count: timeLength)
        for index in stride(from: timeLength - 1, through: 0, by: -1) {
            digits[index] = alphabet[Int(value % 62)]
            value /= 62
        }
        symbols.append(contentsOf: digits)
    }

    /// Unbiased base62 symbols from the CSPRNG: each random byte below 248 (= 4 × 62) gives one
    /// symbol, the rest are discarded. Eight bytes per draw, not one draw per symbol: every draw
    /// is a system call.
    static func appendRandom(count: Int, into symbols: inout [UInt8]) {
        var generator = SystemRandomNumberGenerator()
        var remaining = count
        while remaining > 0 {
            var word = generator.next()
            for _ in 0..<8 where remaining > 0 {
                let byte = UInt8(truncatingIfNeeded: word)
                word >>= 8
                guard byte < 248 else { continue }
                symbols.append(alphabet[Int(byte % 62)])
                remaining -= 1
            }
        }
    }

    /// Whether `value` matches the contract's path-ID shape `^[a-z]{2,4}_[A-Za-z0-9]{10,40}$`.
    public static func isWellFormed(_ value: some StringProtocol) -> Bool {
        let utf8 = Array(value.utf8)
        guard let underscore = utf8.firstIndex(of: UInt8(ascii: "_")) else { return false }
        let prefix = utf8[..<underscore]
        let body = utf8[(underscore + 1)...]
        guard (2...4).contains(prefix.count), (10...40).contains(body.count) else { return false }
        guard prefix.allSatisfy({ $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }) else { return false }
        return body.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
        }
    }

    /// Whether `value` is well formed and carries the prefix of `kind`.
    public static func isWellFormed(_ value: some StringProtocol, kind: IdentifierKind) -> Bool {
        isWellFormed(value) && value.hasPrefix(kind.rawValue + "_")
    }
}
