import Crypto
import Foundation

/// HMAC-SHA-256 under a server-side key, for high-entropy bearer secrets (API keys, refresh,
/// invite and reset tokens, backup codes).
///
/// These secrets already carry ≥ 40 bits of randomness, so a slow password hash would only
/// cost CPU; a keyed hash keeps lookups to one indexed query while a stolen database alone
/// (without the key) still cannot be used to test guesses.
public struct KeyedHasher: Sendable {
    private let key: SymmetricKey

    /// Errors creating a hasher.
    public enum KeyError: Error, Sendable, Equatable {
        /// The key is shorter than 32 bytes.
        case keyTooShort
    }

    /// Creates a hasher; the key must be at least 32 bytes.
    public init(key: some DataProtocol) throws(KeyError) {
        guard key.count >= 32 else { throw .keyTooShort }
        self.key = SymmetricKey(data: Array(key))
    }

    /// Returns the 32-byte MAC of the UTF-8 bytes of `token`.
    public func digest(_ token: String) -> Data {
        digest(bytes: Array(token.utf8))
    }

    /// Returns the 32-byte MAC of `bytes`.
    public func digest(bytes: some DataProtocol) -> Data {
        Data(HMAC<SHA256>.authenticationCode(for: Array(bytes), using: key))
    }

    /// Returns the MAC of `token` as 64 lower-case hex characters, convenient as an indexed column.
    public func hexDigest(_ token: String) -> String {
        let hexDigits = Array("0123456789abcdef".utf8)
        var output: [UInt8] = []
        output.reserveCapacity(64)
        for byte in digest(token) {
            output.append(hexDigits[Int(byte >> 4)])
            output.append(hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: output, as: UTF8.self)
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
