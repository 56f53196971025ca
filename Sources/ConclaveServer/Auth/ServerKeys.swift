import ConclaveSecurity
import Crypto
import Foundation

/// Purpose-specific keys derived from the master key with HKDF, so no key is used for two jobs.
public struct ServerKeys: Sendable {
    /// Hashes refresh tokens, invite tokens and backup codes for indexed lookup.
    public let tokenHasher: KeyedHasher
    /// Hashes API keys (one HMAC per request, never a slow hash).
    public let apiKeyHasher: KeyedHasher
    /// Encrypts TOTP secrets at rest.
    public let totpBox: SecretBox
    /// Encrypts webhook signing secrets at rest (bound to the webhook's id).
    public let webhookBox: SecretBox
    /// Wraps each file's own key (bound to the file's id).
    public let fileKeyBox: SecretBox
    /// Derives the imaginary passkeys of an email without real ones.
    public let passkeyDecoyHasher: KeyedHasher

    public init(masterKey: [UInt8]) throws {
        let root = SymmetricKey(data: masterKey)
        func derive(_ purpose: String) -> Data {
            HKDF<SHA256>.deriveKey(inputKeyMaterial: root, info: Data("conclave/\(purpose)".utf8), outputByteCount: 32)
                .withUnsafeBytes { Data($0) }
        }
        self.tokenHasher = try KeyedHasher(key: derive("token-hash"))
        self.apiKeyHasher = try KeyedHasher(key: derive("api-key-hash"))
        self.totpBox = try SecretBox(masterKey: derive("secret-box"), purpose: "totp-secret")
        self.webhookBox = try SecretBox(masterKey: derive("secret-box"), purpose: "webhook-secret")
        self.fileKeyBox = try SecretBox(masterKey: derive("secret-box"), purpose: "file-key")
        self.passkeyDecoyHasher = try KeyedHasher(key: derive("webauthn-decoy"))
    }
}
