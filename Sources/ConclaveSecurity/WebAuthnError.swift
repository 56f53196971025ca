/// Why a WebAuthn registration or assertion was refused. Messages are safe to log and to
/// return to the client: they name the failed check, never key material or challenges.
public enum WebAuthnError: Error, Sendable, Equatable {
    /// clientDataJSON is not valid JSON of the expected shape, or is too large.
    case malformedClientData
    /// clientData.type is not the one this ceremony expects.
    case unexpectedCeremonyType
    /// clientData.challenge is not the challenge the server issued.
    case challengeMismatch
    /// clientData.origin is not one of the relying party's origins.
    case originMismatch
    /// The ceremony ran in a cross-origin iframe, which this server does not allow.
    case crossOriginNotAllowed
    /// The attestation object is not a valid CBOR map with fmt, attStmt and authData.
    case malformedAttestationObject
    /// Authenticator data is truncated, has trailing bytes or bad embedded CBOR.
    case malformedAuthenticatorData
    /// The rpIdHash is not SHA-256 of the relying party ID.
    case rpIDMismatch
    /// The user-present flag is not set.
    case userNotPresent
    /// User verification is required but the flag is not set.
    case userVerificationRequired
    /// Backup state is set without backup eligibility, or eligibility changed since registration.
    case invalidBackupFlags
    /// A registration carried no attested credential data.
    case missingAttestedCredentialData
    /// The credential ID is longer than 1023 bytes.
    case credentialIDTooLong
    /// The credential public key uses an algorithm or curve other than ES256 or EdDSA (Ed25519).
    case unsupportedAlgorithm
    /// The COSE key is malformed (wrong types or lengths, point not on curve, private part present).
    case malformedPublicKey
    /// The attestation format is neither `none` nor `packed`.
    case unsupportedAttestationFormat
    /// The attestation statement is malformed or inconsistent with its format.
    case malformedAttestationStatement
    /// The attestation statement's algorithm does not match the key that must verify it.
    case attestationAlgorithmMismatch
    /// The attestation certificate does not meet the packed-format requirements.
    case invalidAttestationCertificate
    /// A signature (attestation or assertion) did not verify.
    case invalidSignature
    /// The signature counter did not increase, a sign the authenticator may have been cloned.
    case signCountRegression

    /// A short, fixed description of the failed check.
    public var message: String {
        switch self {
        case .malformedClientData: "Client data is malformed."
        case .unexpectedCeremonyType: "Client data type does not match the ceremony."
        case .challengeMismatch: "Challenge does not match."
        case .originMismatch: "Origin is not allowed."
        case .crossOriginNotAllowed: "Cross-origin ceremonies are not allowed."
        case .malformedAttestationObject: "Attestation object is malformed."
        case .malformedAuthenticatorData: "Authenticator data is malformed."
        case .rpIDMismatch: "Relying party ID does not match."
        case .userNotPresent: "User presence was not confirmed."
        case .userVerificationRequired: "User verification is required."
        case .invalidBackupFlags: "Backup flags are inconsistent."
        case .missingAttestedCredentialData: "No credential data was attested."
        case .credentialIDTooLong: "Credential ID is too long."
        case .unsupportedAlgorithm: "Credential algorithm is not supported."
        case .malformedPublicKey: "Credential public key is malformed."
        case .unsupportedAttestationFormat: "Attestation format is not supported."
        case .malformedAttestationStatement: "Attestation statement is malformed."
        case .attestationAlgorithmMismatch: "Attestation algorithm does not match the key."
        case .invalidAttestationCertificate: "Attestation certificate is not acceptable."
        case .invalidSignature: "Signature is invalid."
        case .signCountRegression: "Signature counter did not increase; the authenticator may be cloned."
        }
    }
}
