import Crypto
import Foundation

/// Relying-party verification of an authentication ceremony (WebAuthn L3 §7.2), pure and synchronous.
///
/// The caller looks up the credential by the ID the client sent (and checks it belongs to the
/// user being authenticated, if one was identified), then passes the stored key and counter here.
public struct WebAuthnAssertionVerifier: Sendable {
    /// The RP ID (a registrable domain, e.g. `example.org`).
    public let rpID: String
    /// Exact origins (scheme://host[:port]) the ceremony may come from.
    public let allowedOrigins: Set<String>
    /// Whether the UV flag is required.
    public let requireUserVerification: Bool

    /// Creates a verifier for one relying party.
    public init(rpID: String, allowedOrigins: Set<String>, requireUserVerification: Bool) {
        self.rpID = rpID
        self.allowedOrigins = allowedOrigins
        self.requireUserVerification = requireUserVerification
    }

    /// Creates a verifier for a relying party served from a single origin.
    public init(rpID: String, origin: String, requireUserVerification: Bool) {
        self.init(rpID: rpID, allowedOrigins: [origin], requireUserVerification: requireUserVerification)
    }

    /// Verifies `AuthenticatorAssertionResponse` fields for a stored credential.
    ///
    /// - Parameters:
    ///   - storedPublicKey: the COSE key bytes saved at registration.
    ///   - storedSignCount: the counter saved at registration or the last assertion.
    ///   - storedBackupEligible: the BE flag saved at registration; `nil` skips the check.
    ///     BE is fixed for a credential's lifetime, so a change means a different authenticator.
    public func verify(
        clientDataJSON: some DataProtocol, authenticatorData: some DataProtocol, signature: some DataProtocol,
        storedPublicKey: some DataProtocol, storedSignCount: UInt32, storedBackupEligible: Bool? = nil,
        expectedChallenge: some DataProtocol
    ) throws(WebAuthnError) -> VerifiedAssertion {
        let clientData = try CollectedClientData(json: clientDataJSON)
        try clientData.verify(expectedType: "webauthn.get", expectedChallenge: expectedChallenge, allowedOrigins: allowedOrigins)
        let parsed = try AuthenticatorData(bytes: authenticatorData)
        try parsed.verify(rpID: rpID, requireUserVerification: requireUserVerification)
        if let storedBackupEligible, storedBackupEligible != parsed.flags.contains(.backupEligible) {
            throw .invalidBackupFlags
        }
        let key = try COSEKey(bytes: storedPublicKey)
        let signedData = parsed.rawValue + Data(SHA256.hash(data: Array(clientDataJSON)))
        guard key.isValidSignature(signature, for: signedData) else { throw .invalidSignature }
        // §7.2 step 22: once either side has a non-zero counter it must strictly increase;
        // authenticators without a counter (most synced passkeys) always report 0.
        if parsed.signCount != 0 || storedSignCount != 0, parsed.signCount <= storedSignCount {
            throw .signCountRegression
        }
        return VerifiedAssertion(signCount: parsed.signCount, flags: parsed.flags)
    }
}
