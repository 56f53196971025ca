import Foundation

/// The credential being registered, as embedded in authenticator data (WebAuthn §6.5.1).
public struct AttestedCredentialData: Sendable, Equatable {
    /// Credential IDs longer than this are refused (WebAuthn §7.1 step "credentialId ≤ 1023 bytes").
    public static let maxCredentialIDLength = 1023

    /// Authenticator model identifier (16 bytes; all zero for `none` attestation on many devices).
    public let aaguid: Data
    /// The credential ID.
    public let credentialID: Data
    /// The credential public key exactly as encoded (store these bytes).
    public let publicKeyBytes: Data
    /// The parsed credential public key.
    public let publicKey: COSEKey
}
