/// A 32-byte `KeyedHasher` MAC held inline, usable as a dictionary key.
///
/// The credential cache is looked up on every authenticated request; keying it by the MAC's
/// four words hashes 32 bytes with no allocation, where the 64-character hex form would first
/// build a String. The hex form is what the database indexes, so it is made only when needed.
public struct TokenDigest: Hashable, Sendable {
    private let words: (UInt64, UInt64, UInt64, UInt64)

    /// Reads the first 32 bytes of `bytes` (the caller passes a SHA-256-sized MAC).
    init(_ bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count == 32, "a TokenDigest holds exactly 32 bytes")
        words = (
            bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
            bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
            bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self),
            bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
        )
    }

    public static func == (lhs: TokenDigest, rhs: TokenDigest) -> Bool {
        lhs.words == rhs.words
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }

    /// The 64 lower-case hex characters of the MAC, in byte order.
    public var hex: String {
        withUnsafeBytes(of: words) { bytes in
            String(unsafeUninitializedCapacity: 64) { output in
                let digits: StaticString = "0123456789abcdef"
                for (index, byte) in bytes.enumerated() {
                    output[2 * index] = digits.utf8Start[Int(byte >> 4)]
                    output[2 * index + 1] = digits.utf8Start[Int(byte & 0x0F)]
                }
                return 64
            }
        }
    }
}
