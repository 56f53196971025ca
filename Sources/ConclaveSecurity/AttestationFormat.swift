/// Attestation statement formats this relying party accepts (WebAuthn §8).
public enum AttestationFormat: String, Sendable {
    /// No attestation; what browsers send unless attestation is requested.
    case none
    /// Packed attestation, either self-attestation or with an x5c certificate chain.
    case packed
}
