import Foundation

/// Cryptographically secure random bytes and tokens.
///
/// `SystemRandomNumberGenerator` is backed by `getrandom(2)` on Linux and
/// `arc4random_buf` on Darwin, both of which are CSPRNGs that never block
/// after boot, so no user-space seeding or pooling is needed.
public enum SecureRandom {
    /// Returns `count` random bytes (an empty value for `count <= 0`).
    public static func bytes(count: Int) -> Data {
        guard count > 0 else { return Data() }
        var generator = SystemRandomNumberGenerator()
        var output = Data(count: count)
        var index = 0
        while index < count {
            var word = generator.next()
            // Consume the 64-bit word a byte at a time so odd counts need no special case.
            for _ in 0..<8 where index < count {
                output[index] = UInt8(truncatingIfNeeded: word)
                word >>= 8
                index += 1
            }
        }
        return output
    }

    /// Returns a URL-safe opaque token: `bytes` random bytes as unpadded base64url.
    ///
    /// 32 bytes (the default) gives 256 bits, enough for session, refresh and invite tokens.
    public static func token(bytes: Int = 32) -> String {
        Base64URL.encode(Self.bytes(count: bytes))
    }
}
