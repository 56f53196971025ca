import Crypto
import Foundation

/// Verification of the `packed` attestation statement format (WebAuthn §8.2).
enum PackedAttestation {
    /// x5c chains longer than this are refused; real ones have one or two certificates.
    static let maxCertificates = 5

    /// Verifies `statement` over `authenticatorData || clientDataHash` and returns what it proves.
    static func verify(
        statement: CBORValue, authenticatorData: AuthenticatorData, credential: AttestedCredentialData,
        clientDataHash: Data
    ) throws(WebAuthnError) -> (type: AttestationType, certificates: [Data]) {
        guard let entries = statement.mapValue,
              let algorithm = statement[textKey: "alg"]?.int64Value,
              let signature = statement[textKey: "sig"]?.bytesValue
        else { throw .malformedAttestationStatement }
        let signedData = authenticatorData.rawValue + clientDataHash

        guard let x5c = statement[textKey: "x5c"] else {
            // Self attestation: only alg and sig, and alg must be the credential's own.
            guard entries.count == 2 else { throw .malformedAttestationStatement }
            guard algorithm == credential.publicKey.algorithm.rawValue else { throw .attestationAlgorithmMismatch }
            guard credential.publicKey.isValidSignature(signature, for: signedData) else { throw .invalidSignature }
            return (.self, [])
        }

        guard entries.count == 3, let items = x5c.arrayValue, (1...maxCertificates).contains(items.count) else {
            throw .malformedAttestationStatement
        }
        var certificates: [Data] = []
        for item in items {
            guard let der = item.bytesValue else { throw .malformedAttestationStatement }
            certificates.append(der)
        }
        guard let leaf = AttestationCertificate(der: certificates[0]) else { throw .invalidAttestationCertificate }
        // Only P-256 attestation keys are supported, so only ES256 statements can verify.
        guard let attestationKey = leaf.p256PublicKey else { throw .invalidAttestationCertificate }
        guard algorithm == COSEAlgorithm.es256.rawValue else { throw .attestationAlgorithmMismatch }
        try checkRequirements(of: leaf, aaguid: credential.aaguid)
        guard let parsed = try? P256.Signing.ECDSASignature(derRepresentation: signature),
              attestationKey.isValidSignature(parsed, for: signedData)
        else { throw .invalidSignature }
        return (.basic, certificates)
    }

    /// Packed attestation certificate requirements (WebAuthn §8.2.1).
    private static func checkRequirements(of certificate: AttestationCertificate, aaguid: Data) throws(WebAuthnError) {
        guard certificate.version == 2,
              certificate.subjectValue(AttestationCertificate.organizationalUnitOID) == "Authenticator Attestation",
              certificate.subjectValue(AttestationCertificate.countryOID) != nil,
              certificate.subjectValue(AttestationCertificate.organizationOID) != nil,
              certificate.subjectValue(AttestationCertificate.commonNameOID) != nil,
              certificate.isCA == false
        else { throw .invalidAttestationCertificate }
        if let aaguidExtension = certificate.aaguidExtension {
            guard !aaguidExtension.critical, ConstantTime.equals(aaguidExtension.aaguid, aaguid) else {
                throw .invalidAttestationCertificate
            }
        }
    }
}
