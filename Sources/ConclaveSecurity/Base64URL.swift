import Foundation

/// base64url without padding (RFC 4648 §5), as used by WebAuthn, JWTs and our opaque tokens.
public enum Base64URL {
    /// Encodes bytes as unpadded base64url.
    public static func encode(_ data: some DataProtocol) -> String {
        Base64Codec.url.encode(data)
    }

    /// Decodes unpadded base64url; `nil` on padding, foreign characters, impossible length or
    /// non-canonical trailing bits.
    public static func decode(_ string: some StringProtocol) -> Data? {
        Base64Codec.url.decode(string)
    }
}
