import Foundation

/// Single-use recovery codes for accounts with a second factor.
///
/// Codes are 8 symbols of Crockford's base32 alphabet (no I, L, O or U), shown as `xxxx-xxxx`:
/// exactly 40 random bits each. Store only `KeyedHasher` digests of the normalised form and
/// delete a digest when its code is used.
public enum BackupCodes {
    /// How many codes a fresh set contains.
    public static let defaultCount = 10
    /// Symbols per code; 8 × 5 bits = 40 bits of entropy.
    public static let symbolsPerCode = 8

    private static let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz".utf8)

    /// Returns `count` new codes formatted `xxxx-xxxx` (lower case).
    public static func generate(count: Int = defaultCount) -> [String] {
        (0..<max(count, 0)).map { _ in
            // 5 random bytes are exactly 8 five-bit symbols, so no rejection sampling is needed.
            var bits: UInt64 = 0
            for byte in SecureRandom.bytes(count: 5) { bits = bits << 8 | UInt64(byte) }
            var symbols: [UInt8] = []
            for index in (0..<symbolsPerCode).reversed() {
                symbols.append(alphabet[Int(bits >> UInt64(index * 5) & 0x1F)])
                if index == symbolsPerCode / 2 { symbols.append(UInt8(ascii: "-")) }
            }
            return String(decoding: symbols, as: UTF8.self)
        }
    }

    /// Returns the canonical form (8 lower-case symbols, no separator) of user input, or `nil`
    /// if it cannot be a backup code.
    ///
    /// Case, dashes and whitespace are ignored, and the look-alikes Crockford defines are
    /// folded (o → 0, i and l → 1), so a code read off paper works however it is typed.
    public static func normalize(_ input: String) -> String? {
        var symbols: [UInt8] = []
        for byte in input.utf8 {
            // Bound the work for pasted garbage before building anything.
            guard symbols.count <= symbolsPerCode else { return nil }
            switch byte {
            case UInt8(ascii: "-"), UInt8(ascii: " "), UInt8(ascii: "\t"): continue
            case UInt8(ascii: "o"), UInt8(ascii: "O"): symbols.append(UInt8(ascii: "0"))
            case UInt8(ascii: "i"), UInt8(ascii: "I"), UInt8(ascii: "l"), UInt8(ascii: "L"): symbols.append(UInt8(ascii: "1"))
            default:
                let lower = (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
                guard alphabet.contains(lower) else { return nil }
                symbols.append(lower)
            }
        }
        guard symbols.count == symbolsPerCode else { return nil }
        return String(decoding: symbols, as: UTF8.self)
    }
}
