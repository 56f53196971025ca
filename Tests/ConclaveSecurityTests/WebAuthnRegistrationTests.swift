import ConclaveSecurity
import Foundation
import Testing

@Suite struct WebAuthnRegistrationTests {
    static let verifier = WebAuthnRegistrationVerifier(
        rpID: WebAuthnTestVector.rpID, origin: WebAuthnTestVector.origin, requireUserVerification: false)

    static func register(
        _ vector: WebAuthnTestVector, verifier: WebAuthnRegistrationVerifier = verifier,
        attestationObject: Data? = nil, challenge: Data? = nil
    ) throws(WebAuthnError) -> VerifiedRegistration {
        try verifier.verify(
            clientDataJSON: Data(hex: vector.registrationClientDataJSON),
            attestationObject: attestationObject ?? Data(hex: vector.attestationObject),
            expectedChallenge: challenge ?? Data(hex: vector.registrationChallenge))
    }

    /// Decodes a vector's attestation object so a test can re-shape it.
    static func attestationObject(_ vector: WebAuthnTestVector) throws -> CBORValue {
        try CBORDecoder().decode(Data(hex: vector.attestationObject))
    }

    @Test func noneAttestationES256() throws {
        let vector = WebAuthnTestVector.noneES256
        let result = try Self.register(vector)
        #expect(result.credentialID == Data(hex: vector.credentialID))
        #expect(result.aaguid == Data(hex: vector.aaguid))
        #expect(result.attestationFormat == .none)
        #expect(result.attestationType == .none)
        #expect(result.attestationCertificates.isEmpty)
        #expect(result.algorithm == .es256)
        #expect(result.signCount == 0)
        #expect(result.flags == [.userPresent, .backupEligible, .backupState, .attestedCredentialData])
        #expect(!result.userVerified && result.backupEligible && result.backupState)
        // The stored key is the exact COSE bytes from authenticator data.
        #expect(Data(hex: vector.attestationObject).range(of: result.publicKey) != nil)
        #expect(try COSEKey(bytes: result.publicKey).algorithm == .es256)
    }

    @Test func packedSelfAttestationES256() throws {
        let result = try Self.register(
            .packedSelfES256,
            verifier: .init(rpID: "example.org", origin: "https://example.org", requireUserVerification: true))
        #expect(result.attestationFormat == .packed)
        #expect(result.attestationType == .self)
        #expect(result.algorithm == .es256)
        #expect(result.userVerified)
        #expect(result.credentialID == Data(hex: WebAuthnTestVector.packedSelfES256.credentialID))
    }

    @Test func packedFullAttestationES256() throws {
        let result = try Self.register(.packedES256)
        #expect(result.attestationFormat == .packed)
        #expect(result.attestationType == .basic)
        #expect(result.attestationCertificates.count == 1)
        #expect(result.aaguid == Data(hex: WebAuthnTestVector.packedES256.aaguid))
    }

    @Test func packedFullAttestationEd25519() throws {
        let result = try Self.register(.packedEdDSA)
        #expect(result.algorithm == .eddsa)
        #expect(result.attestationType == .basic)
        #expect(result.credentialID == Data(hex: WebAuthnTestVector.packedEdDSA.credentialID))
        #expect(try COSEKey(bytes: result.publicKey).algorithm == .eddsa)
    }

    @Test func longCredentialIDIsAcceptedUpTo1023Bytes() throws {
        let result = try Self.register(.longCredentialID)
        #expect(result.credentialID.count == 1_023)
        #expect(result.credentialID == Data(hex: WebAuthnTestVector.longCredentialID.credentialID))
    }

    @Test func crossOriginAndTopOriginAreRefused() {
        #expect(throws: WebAuthnError.crossOriginNotAllowed) { try Self.register(.crossOrigin) }
        #expect(throws: WebAuthnError.crossOriginNotAllowed) { try Self.register(.topOrigin) }
    }

    @Test func unsupportedAlgorithmsAreRefused() {
        for vector in [WebAuthnTestVector.packedES384, .packedRS256, .packedEd448] {
            #expect(throws: WebAuthnError.unsupportedAlgorithm, "\(vector.name)") { try Self.register(vector) }
        }
    }

    @Test func unsupportedFormatsAreRefused() {
        for vector in [WebAuthnTestVector.tpmES256, .fidoU2FES256] {
            #expect(throws: WebAuthnError.unsupportedAttestationFormat, "\(vector.name)") { try Self.register(vector) }
        }
    }

    @Test func wrongChallengeOriginRPIDOrTypeAreRefused() {
        let vector = WebAuthnTestVector.noneES256
        var challenge = Data(hex: vector.registrationChallenge)
        challenge[0] ^= 1
        #expect(throws: WebAuthnError.challengeMismatch) { try Self.register(vector, challenge: challenge) }
        #expect(throws: WebAuthnError.challengeMismatch) { try Self.register(vector, challenge: Data()) }

        let otherOrigin = WebAuthnRegistrationVerifier(rpID: "example.org", origin: "https://example.com", requireUserVerification: false)
        #expect(throws: WebAuthnError.originMismatch) { try Self.register(vector, verifier: otherOrigin) }

        let otherRP = WebAuthnRegistrationVerifier(rpID: "example.com", origin: "https://example.org", requireUserVerification: false)
        #expect(throws: WebAuthnError.rpIDMismatch) { try Self.register(vector, verifier: otherRP) }

        #expect(throws: WebAuthnError.unexpectedCeremonyType) {
            try Self.verifier.verify(
                clientDataJSON: Data(hex: vector.assertionClientDataJSON), attestationObject: Data(hex: vector.attestationObject),
                expectedChallenge: Data(hex: vector.assertionChallenge))
        }
    }

    @Test func userVerificationRequiredButNotSet() {
        let strict = WebAuthnRegistrationVerifier(rpID: "example.org", origin: "https://example.org", requireUserVerification: true)
        #expect(throws: WebAuthnError.userVerificationRequired) { try Self.register(.noneES256, verifier: strict) }
    }

    @Test func flippedAttestationSignatureIsRefused() throws {
        for vector in [WebAuthnTestVector.packedSelfES256, .packedES256, .packedEdDSA] {
            let object = try Self.attestationObject(vector)
            let statement = try #require(object[textKey: "attStmt"])
            var signature = try #require(statement[textKey: "sig"]?.bytesValue)
            signature[signature.count - 5] ^= 0x40
            let tampered = CBOREncoderForTests.replacing(
                .text("attStmt"), with: CBOREncoderForTests.replacing(.text("sig"), with: .bytes(signature), in: statement), in: object)
            #expect(throws: WebAuthnError.invalidSignature, "\(vector.name)") {
                try Self.register(vector, attestationObject: CBOREncoderForTests.encode(tampered))
            }
        }
    }

    @Test func tamperedAuthenticatorDataBreaksPackedSignature() throws {
        let vector = WebAuthnTestVector.packedES256
        let object = try Self.attestationObject(vector)
        var authData = try #require(object[textKey: "authData"]?.bytesValue)
        authData[34] ^= 0x01   // sign count
        let tampered = CBOREncoderForTests.replacing(.text("authData"), with: .bytes(authData), in: object)
        #expect(throws: WebAuthnError.invalidSignature) { try Self.register(vector, attestationObject: CBOREncoderForTests.encode(tampered)) }
    }

    @Test func inconsistentAttestationStatementsAreRefused() throws {
        let selfVector = WebAuthnTestVector.packedSelfES256
        let object = try Self.attestationObject(selfVector)
        let statement = try #require(object[textKey: "attStmt"])

        let wrongAlg = CBOREncoderForTests.replacing(.text("alg"), with: .negative(7), in: statement)   // -8
        #expect(throws: WebAuthnError.attestationAlgorithmMismatch) {
            try Self.register(selfVector, attestationObject: CBOREncoderForTests.encode(
                CBOREncoderForTests.replacing(.text("attStmt"), with: wrongAlg, in: object)))
        }

        let noneWithStatement = CBOREncoderForTests.replacing(.text("fmt"), with: .text("none"), in: object)
        #expect(throws: WebAuthnError.malformedAttestationStatement) {
            try Self.register(selfVector, attestationObject: CBOREncoderForTests.encode(noneWithStatement))
        }

        let unknownFormat = CBOREncoderForTests.replacing(.text("fmt"), with: .text("made-up"), in: object)
        #expect(throws: WebAuthnError.unsupportedAttestationFormat) {
            try Self.register(selfVector, attestationObject: CBOREncoderForTests.encode(unknownFormat))
        }

        let missingSig = CBOREncoderForTests.replacing(.text("sig"), with: nil, in: statement)
        #expect(throws: WebAuthnError.malformedAttestationStatement) {
            try Self.register(selfVector, attestationObject: CBOREncoderForTests.encode(
                CBOREncoderForTests.replacing(.text("attStmt"), with: missingSig, in: object)))
        }
    }

    @Test func caCertificateIsNotAcceptedAsAttestationCertificate() throws {
        let vector = WebAuthnTestVector.packedES256
        let object = try Self.attestationObject(vector)
        let statement = try #require(object[textKey: "attStmt"])
        let rootAsLeaf = CBOREncoderForTests.replacing(
            .text("x5c"), with: .array([.bytes(Data(hex: WebAuthnTestVector.attestationRootCertificate))]), in: statement)
        #expect(throws: WebAuthnError.invalidAttestationCertificate) {
            try Self.register(vector, attestationObject: CBOREncoderForTests.encode(
                CBOREncoderForTests.replacing(.text("attStmt"), with: rootAsLeaf, in: object)))
        }
        let garbage = CBOREncoderForTests.replacing(.text("x5c"), with: .array([.bytes(Data([0x30, 0x03, 0x02, 0x01, 0x01]))]), in: statement)
        #expect(throws: WebAuthnError.invalidAttestationCertificate) {
            try Self.register(vector, attestationObject: CBOREncoderForTests.encode(
                CBOREncoderForTests.replacing(.text("attStmt"), with: garbage, in: object)))
        }
    }

    @Test func truncatedInputsAreRefused() throws {
        let vector = WebAuthnTestVector.noneES256
        let full = Data(hex: vector.attestationObject)
        for end in stride(from: 0, to: full.count, by: 7) {
            #expect(throws: WebAuthnError.malformedAttestationObject) { try Self.register(vector, attestationObject: full.prefix(end)) }
        }
        let object = try Self.attestationObject(vector)
        let authData = try #require(object[textKey: "authData"]?.bytesValue)
        for end in [0, 10, 36, 37, 40, 54, 60, authData.count - 1] {
            let truncated = CBOREncoderForTests.replacing(.text("authData"), with: .bytes(authData.prefix(end)), in: object)
            #expect(throws: WebAuthnError.malformedAuthenticatorData, "prefix \(end)") {
                try Self.register(vector, attestationObject: CBOREncoderForTests.encode(truncated))
            }
        }
        let trailing = CBOREncoderForTests.replacing(.text("authData"), with: .bytes(authData + Data([0])), in: object)
        #expect(throws: WebAuthnError.malformedAuthenticatorData) {
            try Self.register(vector, attestationObject: CBOREncoderForTests.encode(trailing))
        }
        #expect(throws: WebAuthnError.malformedClientData) {
            try Self.verifier.verify(clientDataJSON: Data("{".utf8), attestationObject: full,
                                     expectedChallenge: Data(hex: vector.registrationChallenge))
        }
    }

    @Test func registrationWithoutAttestedCredentialIsRefused() {
        let authenticator = SoftwareAuthenticator()
        let challenge = SecureRandom.bytes(count: 32)
        let bare = authenticator.registration(
            challenge: challenge, authenticatorData: authenticator.authenticatorData(flags: 0x05, signCount: 0))
        #expect(throws: WebAuthnError.missingAttestedCredentialData) {
            try Self.verifier.verify(clientDataJSON: bare.clientDataJSON, attestationObject: bare.attestationObject, expectedChallenge: challenge)
        }
        let good = authenticator.registration(challenge: challenge)
        #expect(throws: Never.self) {
            try Self.verifier.verify(clientDataJSON: good.clientDataJSON, attestationObject: good.attestationObject, expectedChallenge: challenge)
        }
        let tooLong = authenticator.registration(challenge: challenge, credentialID: Data(repeating: 1, count: 1_024))
        #expect(throws: WebAuthnError.credentialIDTooLong) {
            try Self.verifier.verify(clientDataJSON: tooLong.clientDataJSON, attestationObject: tooLong.attestationObject, expectedChallenge: challenge)
        }
    }
}
