import Foundation

/// A credential that passed registration verification: the fields to store.
public struct VerifiedRegistration: Sendable, Equatable {
    /// The credential ID (look credentials up by this).
    public let credentialID: Data
    /// The COSE-encoded public key; pass it back to `WebAuthnAssertionVerifier` unchanged.
    public let publicKey: Data
    /// The key's algorithm.
    public let algorithm: COSEAlgorithm
    /// The initial signature counter.
    public let signCount: UInt32
    /// Flags at registration (UV, BE, BS are worth storing).
    public let flags: AuthenticatorFlags
    /// Authenticator model identifier (16 bytes).
    public let aaguid: Data
    /// The attestation statement format.
    public let attestationFormat: AttestationFormat
    /// What the attestation proved.
    public let attestationType: AttestationType
    /// The x5c chain (DER, leaf first) for basic attestation; empty otherwise.
    public let attestationCertificates: [Data]

    /// Whether the user was verified during registration.
    public var userVerified: Bool { flags.contains(.userVerified) }
    /// Whether the credential is a multi-device (syncable) credential.
    public var backupEligible: Bool { flags.contains(.backupEligible) }
    /// Whether the credential is currently backed up.
    public var backupState: Bool { flags.contains(.backupState) }
}
