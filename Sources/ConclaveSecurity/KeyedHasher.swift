import Crypto
import Foundation

/// HMAC-SHA-256 under a server-side key, for high-entropy bearer secrets (API keys, refresh,
/// invite and reset tokens, backup codes).
///
/// These secrets already carry ≥ 40 bits of randomness, so a slow password hash would only
/// cost CPU; a keyed hash keeps lookups to one indexed query while a stolen database alone
/// (without the key) still cannot be used to test guesses.
public struct KeyedHasher: Sendable {
    /// swift-crypto's HMAC after `init(key:)`: the key already absorbed into the inner and outer
    /// hash states. Every MAC starts from a copy of it, so the two key blocks are hashed once per
    /// hasher rather than once per token (half the SHA-256 work for a short token).
    private let keyed: HMAC<SHA256>

    /// Errors creating a hasher.
    public enum KeyError: Error, Sendable, Equatable {
        /// The key is shorter than 32 bytes.
        case keyTooShort
    }

    /// Creates a hasher; the key must be at least 32 bytes.
    public init(key: some DataProtocol) throws(KeyError) {
        guard key.count >= 32 else { throw .keyTooShort }
        self.keyed = HMAC<SHA256>(key: SymmetricKey(data: Array(key)))
    }

    /// Returns the 32-byte MAC of the UTF-8 bytes of `token`.
    public func digest(_ token: String) -> Data {
        Data(mac(token))
    }

    /// Returns the 32-byte MAC of `bytes`.
    public func digest(bytes: some DataProtocol) -> Data {
        Data(mac(bytes))
    }

    /// Returns the MAC of `token` as 64 lower-case hex characters, convenient as an indexed column.
    public func hexDigest(_ token: String) -> String {
        tokenDigest(token).hex
    }

    /// Returns the MAC of `token` held inline, for lookups that do not need the hex form.
    public func tokenDigest(_ token: String) -> TokenDigest {
        mac(token).withUnsafeBytes(TokenDigest.init)
    }

    private func mac(_ token: String) -> HMAC<SHA256>.MAC {
        // Hash the string's own UTF-8 bytes where it has them, instead of copying them out.
        token.utf8.withContiguousStorageIfAvailable { mac(UnsafeRawBufferPointer($0)) } ?? mac(Array(token.utf8))
    }

    private func mac(_ bytes: some DataProtocol) -> HMAC<SHA256>.MAC {
        var hmac = keyed
        hmac.update(data: bytes)
        return hmac.finalize()
    }

    /// Returns whether `token` hashes to `expectedDigest`, in constant time.
    public func matches(_ token: String, digest expectedDigest: some DataProtocol) -> Bool {
        ConstantTime.equals(digest(token), expectedDigest)
    }

    /// Constant-time byte comparison (forwarded to `ConstantTime.equals`).
    public static func constantTimeEquals(_ lhs: some DataProtocol, _ rhs: some DataProtocol) -> Bool {
        ConstantTime.equals(lhs, rhs)
    }
}
