/// The shape of Conclave API keys: `ck_` + 43 base62 symbols (32 random bytes) + a 6-symbol
/// base62 CRC-32 of those 43 symbols.
///
/// The fixed prefix and checksum let secret scanners (and our own log redaction) recognise a
/// leaked key offline with almost no false positives, and let the server reject mistyped or
/// made-up keys before touching the database. Only a `KeyedHasher` digest of the full key is
/// stored; the display prefix is stored in clear to help users tell keys apart.
public enum APIKeyFormat {
    /// The literal start of every key.
    public static let prefix = "ck_"
    /// Random bytes per key (256 bits).
    public static let randomByteCount = 32
    /// Symbols encoding the random part.
    public static let bodyLength = 43
    /// Symbols encoding the checksum (62^6 > 2^32).
    public static let checksumLength = 6
    /// Total key length: 3 + 43 + 6 = 52.
    public static let keyLength = 3 + bodyLength + checksumLength
    /// Characters shown to users to identify a key (prefix plus 9 symbols, ~53 bits: enough to
    /// tell keys apart, far too little to guess the rest).
    public static let displayPrefixLength = 12

    /// A freshly generated key and its display prefix.
    public struct GeneratedKey: Sendable, Equatable {
        /// The full secret key, shown to the user exactly once.
        public let key: String
        /// The first `displayPrefixLength` characters, safe to store and display.
        public let prefix: String
    }

    /// Generates a new random key.
    public static func generate() -> GeneratedKey {
        let body = Base62.encode(SecureRandom.bytes(count: randomByteCount), width: bodyLength)
        let key = prefix + body + checksum(ofBody: body)
        return GeneratedKey(key: key, prefix: displayPrefix(of: key))
    }

    /// Returns whether `key` has the right prefix, length, alphabet and checksum. No database
    /// is consulted: a `true` here says only that the key could have been issued by us.
    public static func isWellFormed(_ key: String) -> Bool {
        // Every request with a key runs this, so it reads the string's own bytes in place.
        key.utf8.withContiguousStorageIfAvailable(isWellFormed(utf8:))
            ?? Array(key.utf8).withUnsafeBufferPointer(isWellFormed(utf8:))
    }

    private static func isWellFormed(utf8 bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count == keyLength, bytes.starts(with: prefix.utf8) else { return false }
        let symbols = UnsafeBufferPointer(rebasing: bytes.dropFirst(prefix.utf8.count))
        guard symbols.allSatisfy(Base62.isBase62) else { return false }
        let body = UnsafeBufferPointer(rebasing: symbols.prefix(bodyLength))
        let presented = UnsafeBufferPointer(rebasing: symbols.suffix(checksumLength))
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: checksumLength) { expected in
            Base62.encode(CRC32.checksum(body), into: expected)
            return ConstantTime.equals(UnsafeBufferPointer(expected), presented)
        }
    }

    /// Returns the display prefix of a key (its first 12 characters).
    public static func displayPrefix(of key: String) -> String {
        String(decoding: key.utf8.prefix(displayPrefixLength), as: UTF8.self)
    }

    private static func checksum(ofBody body: String) -> String {
        Base62.encode(CRC32.checksum(body.utf8), width: checksumLength)
    }
}
