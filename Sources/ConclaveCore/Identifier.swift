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
    case file = "fil"
    case audit = "aud"
    case request = "req"
}

/// Generation and validation of prefixed identifiers.
///
/// The random part is 20 base62 characters (about 119 bits) drawn from the system CSPRNG, so an
/// identifier is unguessable even where an authorization check would be missing.
public enum Identifier {
    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
    static let randomLength = 20

    public static func generate(_ kind: IdentifierKind) -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8]()
        bytes.reserveCapacity(randomLength)
        for _ in 0..<randomLength {
            bytes.append(alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))])
        }
        return kind.rawValue + "_" + String(decoding: bytes, as: UTF8.self)
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
