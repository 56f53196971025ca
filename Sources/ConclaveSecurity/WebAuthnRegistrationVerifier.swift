import Crypto
import Foundation

/// Relying-party verification of a registration ceremony (WebAuthn L3 §7.1), pure and synchronous.
///
/// Accepts `none` and `packed` attestation and ES256 / Ed25519 credentials. What it leaves to
/// the caller: checking the credential ID is not already registered, and binding the result to
/// the user whose challenge it was.
public struct WebAuthnRegistrationVerifier: Sendable {
    /// The RP ID (a registrable domain, e.g. `example.org`).
    public let rpID: String
    /// Exact origins (scheme://host[:port]) the ceremony may come from.
    public let allowedOrigins: Set<String>
    /// Whether the UV flag is required.
    public let requireUserVerification: Bool

    /// Attestation objects above this size are refused before parsing.
    public static let maxAttestationObjectLength = 64 * 1024

    private static let cbor = CBORDecoder(limits: .init(maxDepth: 8, maxItems: 256, allowFloats: false))

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

    /// Verifies `AuthenticatorAttestationResponse` fields against the challenge the server issued.
    public func verify(
        clientDataJSON: some DataProtocol, attestationObject: some DataProtocol, expectedChallenge: some DataProtocol
    ) throws(WebAuthnError) -> VerifiedRegistration {
        let clientData = try CollectedClientData(json: clientDataJSON)
        try clientData.verify(expectedType: "webauthn.create", expectedChallenge: expectedChallenge, allowedOrigins: allowedOrigins)
        let clientDataHash = Data(SHA256.hash(data: Array(clientDataJSON)))

        guard attestationObject.count <= Self.maxAttestationObjectLength else { throw .malformedAttestationObject }
        let object: CBORValue
        do {
            object = try Self.cbor.decode(attestationObject)
        } catch {
            throw .malformedAttestationObject
        }
        guard let entries = object.mapValue, entries.count == 3,
              let formatName = object[textKey: "fmt"]?.textValue,
              let statement = object[textKey: "attStmt"], statement.mapValue != nil,
              let authDataBytes = object[textKey: "authData"]?.bytesValue
        else { throw .malformedAttestationObject }

        let authenticatorData = try AuthenticatorData(bytes: authDataBytes)
        try authenticatorData.verify(rpID: rpID, requireUserVerification: requireUserVerification)
        guard let credential = authenticatorData.attestedCredentialData else { throw .missingAttestedCredentialData }

        guard let format = AttestationFormat(rawValue: formatName) else { throw .unsupportedAttestationFormat }
        let attestation: (type: AttestationType, certificates: [Data])
        switch format {
        case .none:
            guard statement.mapValue?.isEmpty == true else { throw .malformedAttestationStatement }
            attestation = (.none, [])
        case .packed:
            attestation = try PackedAttestation.verify(
                statement: statement, authenticatorData: authenticatorData, credential: credential,
                clientDataHash: clientDataHash)
        }

        return VerifiedRegistration(
            credentialID: credential.credentialID, publicKey: credential.publicKeyBytes,
            algorithm: credential.publicKey.algorithm, signCount: authenticatorData.signCount,
            flags: authenticatorData.flags, aaguid: credential.aaguid, attestationFormat: format,
            attestationType: attestation.type, attestationCertificates: attestation.certificates)
    }
}
