/// COSE algorithm identifiers (IANA COSE registry) this relying party accepts.
public enum COSEAlgorithm: Int64, Sendable {
    /// ECDSA with SHA-256 over P-256.
    case es256 = -7
    /// EdDSA (Ed25519 when the curve is 6).
    case eddsa = -8
}
