import ConclaveSecurity

extension WebAuthnError {
    /// A stable audit reason per failed check.
    var auditReason: String {
        switch self {
        case .malformedClientData: "malformed_client_data"
        case .unexpectedCeremonyType: "unexpected_ceremony_type"
        case .challengeMismatch: "challenge_mismatch"
        case .originMismatch: "origin_mismatch"
        case .crossOriginNotAllowed: "cross_origin_not_allowed"
        case .malformedAttestationObject: "malformed_attestation_object"
        case .malformedAuthenticatorData: "malformed_authenticator_data"
        case .rpIDMismatch: "rp_id_mismatch"
        case .userNotPresent: "user_not_present"
        case .userVerificationRequired: "user_verification_required"
        case .invalidBackupFlags: "invalid_backup_flags"
        case .missingAttestedCredentialData: "missing_attested_credential_data"
        case .credentialIDTooLong: "credential_id_too_long"
        case .unsupportedAlgorithm: "unsupported_algorithm"
        case .malformedPublicKey: "malformed_public_key"
        case .unsupportedAttestationFormat: "unsupported_attestation_format"
        case .malformedAttestationStatement: "malformed_attestation_statement"
        case .attestationAlgorithmMismatch: "attestation_algorithm_mismatch"
        case .invalidAttestationCertificate: "invalid_attestation_certificate"
        case .invalidSignature: "invalid_signature"
        case .signCountRegression: "sign_count_regression"
        }
    }

    /// Which part of a registration response a failed check is about.
    var registrationField: String {
        switch self {
        case .malformedClientData, .unexpectedCeremonyType, .challengeMismatch, .originMismatch, .crossOriginNotAllowed:
            "response.clientDataJSON"
        default:
            "response.attestationObject"
        }
    }
}
