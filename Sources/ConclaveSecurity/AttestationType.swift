/// How much an attestation statement tells about the authenticator (WebAuthn §6.5.4).
public enum AttestationType: String, Sendable {
    /// No attestation (`none` format).
    case none
    /// Self attestation: signed by the credential key itself, proving nothing about the model.
    case `self`
    /// Basic attestation with a certificate chain. The signature and the leaf certificate's
    /// required fields were checked; the chain was *not* evaluated against any trust anchor,
    /// so treat the AAGUID as a claim unless you validate `attestationCertificates` yourself.
    case basic
}
