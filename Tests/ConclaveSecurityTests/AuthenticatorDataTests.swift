import Crypto
import Foundation
import Testing
@testable import ConclaveSecurity

@Suite struct AuthenticatorDataTests {
    static func registrationAuthData(_ vector: WebAuthnTestVector) throws -> Data {
        try #require(try CBORDecoder().decode(Data(hex: vector.attestationObject))[textKey: "authData"]?.bytesValue)
    }

    @Test func parsesRegistrationAuthenticatorData() throws {
        let vector = WebAuthnTestVector.noneES256
        let parsed = try AuthenticatorData(bytes: try Self.registrationAuthData(vector))
        #expect(parsed.rpIDHash == Data(SHA256.hash(data: Data("example.org".utf8))))
        #expect(parsed.flags.rawValue == 0x59)
        #expect(parsed.signCount == 0)
        #expect(parsed.extensions == nil)
        let attested = try #require(parsed.attestedCredentialData)
        #expect(attested.aaguid == Data(hex: vector.aaguid))
        #expect(attested.credentialID == Data(hex: vector.credentialID))
        #expect(attested.publicKey.algorithm == .es256)
    }

    @Test func parsesAssertionAuthenticatorData() throws {
        let parsed = try AuthenticatorData(bytes: Data(hex: WebAuthnTestVector.packedES256.authenticatorData))
        #expect(parsed.flags == [.userPresent, .userVerified, .backupEligible])
        #expect(parsed.attestedCredentialData == nil)
    }

    @Test func parsesExtensions() throws {
        let base = Data(hex: WebAuthnTestVector.noneES256.authenticatorData)
        var withExtensions = base
        withExtensions[32] |= 0x80
        withExtensions += CBOREncoderForTests.encode(.map([.init(key: .text("credProtect"), value: .unsigned(2))]))
        let parsed = try AuthenticatorData(bytes: withExtensions)
        #expect(parsed.extensions?[textKey: "credProtect"] == .unsigned(2))
        // ED set but nothing (or a non-map) follows.
        var flagOnly = base
        flagOnly[32] |= 0x80
        #expect(throws: WebAuthnError.malformedAuthenticatorData) { try AuthenticatorData(bytes: flagOnly) }
        #expect(throws: WebAuthnError.malformedAuthenticatorData) { try AuthenticatorData(bytes: flagOnly + Data([0x01])) }
    }

    @Test func coseKeysOutsideTheAllowListAreRefused() throws {
        let x = CBORValue.bytes(Data(repeating: 1, count: 32))
        func key(_ entries: [(Int64, CBORValue)]) -> CBORValue {
            .map(entries.map { .init(key: $0.0 >= 0 ? .unsigned(UInt64($0.0)) : .negative(UInt64(-1 - $0.0)), value: $0.1) })
        }
        // RS256 (kty 3, alg -257).
        #expect(throws: WebAuthnError.unsupportedAlgorithm) { try COSEKey(cbor: key([(1, .unsigned(3)), (3, .negative(256))])) }
        // ES256 label with the P-384 curve.
        #expect(throws: WebAuthnError.unsupportedAlgorithm) {
            try COSEKey(cbor: key([(1, .unsigned(2)), (3, .negative(6)), (-1, .unsigned(2)), (-2, x), (-3, x)]))
        }
        // Ed448 (crv 7).
        #expect(throws: WebAuthnError.unsupportedAlgorithm) { try COSEKey(cbor: key([(1, .unsigned(1)), (3, .negative(7)), (-1, .unsigned(7)), (-2, x)])) }
        // Not on the curve.
        #expect(throws: WebAuthnError.malformedPublicKey) {
            try COSEKey(cbor: key([(1, .unsigned(2)), (3, .negative(6)), (-1, .unsigned(1)), (-2, x), (-3, x)]))
        }
        // Wrong coordinate length.
        #expect(throws: WebAuthnError.malformedPublicKey) {
            try COSEKey(cbor: key([(1, .unsigned(1)), (3, .negative(7)), (-1, .unsigned(6)), (-2, .bytes(Data(count: 31)))]))
        }
        // Private key material present.
        let ed = Curve25519.Signing.PrivateKey()
        let valid = [(Int64(1), CBORValue.unsigned(1)), (3, .negative(7)), (-1, .unsigned(6)), (-2, .bytes(ed.publicKey.rawRepresentation))]
        #expect(try COSEKey(cbor: key(valid)) == .ed25519(ed.publicKey))
        #expect(throws: WebAuthnError.malformedPublicKey) { try COSEKey(cbor: key(valid + [(-4, .bytes(ed.rawRepresentation))])) }
        // Not a map, missing fields.
        #expect(throws: WebAuthnError.malformedPublicKey) { try COSEKey(cbor: .array([])) }
        #expect(throws: WebAuthnError.malformedPublicKey) { try COSEKey(bytes: Data([0xA0])) }
        #expect(throws: WebAuthnError.malformedPublicKey) { try COSEKey(bytes: Data()) }
    }

    @Test func attestationCertificateFieldsAreRead() throws {
        let root = try #require(AttestationCertificate(der: Data(hex: WebAuthnTestVector.attestationRootCertificate)))
        #expect(root.version == 2)
        #expect(root.isCA == true)
        #expect(root.subjectValue(AttestationCertificate.organizationalUnitOID) == "Authenticator Attestation CA")
        #expect(root.p256PublicKey != nil)

        let object = try CBORDecoder().decode(Data(hex: WebAuthnTestVector.packedES256.attestationObject))
        let leafDER = try #require(object[textKey: "attStmt"]?[textKey: "x5c"]?.arrayValue?.first?.bytesValue)
        let leaf = try #require(AttestationCertificate(der: leafDER))
        #expect(leaf.isCA == false)
        #expect(leaf.subjectValue(AttestationCertificate.commonNameOID) == "WebAuthn test vectors")
        #expect(leaf.subjectValue(AttestationCertificate.organizationalUnitOID) == "Authenticator Attestation")
        #expect(AttestationCertificate.dottedOID([0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01]) == "1.2.840.10045.2.1")
    }

    /// Truncations, bit flips and random bytes must only ever return or throw.
    @Test func survivesFuzzing() throws {
        var generator = SeededGenerator(seed: 0xA5A5)
        var inputs: [Data] = []
        for vector in [WebAuthnTestVector.noneES256, .packedEdDSA, .longCredentialID, .packedRS256] {
            let authData = try Self.registrationAuthData(vector)
            for end in 0...authData.count { inputs.append(authData.prefix(end)) }
            for _ in 0..<300 {
                var flipped = authData
                let index = Int.random(in: 0..<flipped.count, using: &generator)
                flipped[index] ^= 1 << UInt8.random(in: 0..<8, using: &generator)
                inputs.append(flipped)
            }
        }
        for _ in 0..<2_000 {
            var random = Data((0..<Int.random(in: 37..<200, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) })
            random[32] |= 0x40   // force the attested-credential path
            inputs.append(random)
        }
        for input in inputs {
            _ = try? AuthenticatorData(bytes: input)
            _ = try? COSEKey(bytes: input)
            _ = AttestationCertificate(der: input)
        }
        #expect(inputs.count > 3_000)
    }
}
