import ConclaveSecurity
import Foundation
import Testing

/// Inputs that broke an invariant of the libFuzzer target Fuzz/Sources/FuzzWebAuthn, kept as
/// regression tests (and in Fuzz/Corpus/FuzzWebAuthn).
@Suite struct WebAuthnFuzzRegressionTests {
    /// The none-es256 test vector's attestation object with one extra COSE key entry,
    /// `5: [[[[0]]]]`, nested deeper than stored keys may be. Registration used to accept it
    /// (authenticator data allowed depth 8) and store a key that `COSEKey(bytes:)` (depth 4)
    /// then refused at every sign-in.
    static let deepKeyAttestationObject = """
        a363666d74646e6f6e656761747453746d74a068617574684461746158aabfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0\
        f01452b2e4b559000000008446ccb9ab1db374750b2367ff6f3a1f0020f91f391db4c9b2fde0ea70189cba3fb63f579ba6122b33ad94ff3ec33\
        0084be4a6010203262001215820afefa16f97ca9b2d23eb86ccb64098d20db90856062eb249c33a9b672f26df61225820930a56b87a2fca663\
        34b03458abf879717c12cc68ed73290af2e2664796b9220058181818100
        """

    static func register(attestationObject: Data) throws(WebAuthnError) -> VerifiedRegistration {
        let vector = WebAuthnTestVector.noneES256
        return try WebAuthnRegistrationVerifier(rpID: WebAuthnTestVector.rpID, origin: WebAuthnTestVector.origin, requireUserVerification: false)
            .verify(
                clientDataJSON: Data(hex: vector.registrationClientDataJSON), attestationObject: attestationObject,
                expectedChallenge: Data(hex: vector.registrationChallenge))
    }

    /// Authenticator data of the none-es256 vector whose COSE key gets `extra` entries.
    static func authenticatorData(extraKeyEntries extra: [CBORMapEntry]) throws -> Data {
        let object = try CBORDecoder().decode(Data(hex: WebAuthnTestVector.noneES256.attestationObject))
        let authData = try #require(object[textKey: "authData"]?.bytesValue)
        let keyStart = 55 + Int(authData[53]) << 8 + Int(authData[54])
        let key = try #require(try CBORDecoder().decode(authData[keyStart...]).mapValue)
        return authData[..<keyStart] + CBOREncoderForTests.encode(.map(key + extra))
    }

    @Test func keyNestedDeeperThanStoredKeysIsRefusedAtRegistration() throws {
        let attestationObject = Data(hex: Self.deepKeyAttestationObject)
        #expect(throws: WebAuthnError.malformedAuthenticatorData) { try Self.register(attestationObject: attestationObject) }
        let deep = CBORValue.array([.array([.array([.array([.unsigned(0)])])])])
        #expect(throws: WebAuthnError.malformedAuthenticatorData) {
            try AuthenticatorData(bytes: try Self.authenticatorData(extraKeyEntries: [.init(key: .unsigned(5), value: deep)]))
        }
    }

    @Test func keyWithMoreItemsThanStoredKeysIsRefused() throws {
        // 5 entries of the real key + 30 more = 71 items with the map itself; stored keys allow 64.
        let extra = (100..<130).map { CBORMapEntry(key: .unsigned(UInt64($0)), value: .unsigned(0)) }
        #expect(throws: WebAuthnError.malformedAuthenticatorData) {
            try AuthenticatorData(bytes: try Self.authenticatorData(extraKeyEntries: extra))
        }
    }

    @Test func keyWithinStoredKeyLimitsStillLoadsAgain() throws {
        // An unknown label with a value nested to the stored-key limit is accepted, and the stored
        // bytes load back as the same key.
        let nested = CBORValue.array([.array([.array([.unsigned(0)])])])
        let parsed = try AuthenticatorData(bytes: try Self.authenticatorData(extraKeyEntries: [.init(key: .unsigned(5), value: nested)]))
        let credential = try #require(parsed.attestedCredentialData)
        #expect(try COSEKey(bytes: credential.publicKeyBytes) == credential.publicKey)
    }
}
