import ConclaveSecurity
import Foundation
import Testing

@Suite struct WebAuthnAssertionTests {
    static let verifier = WebAuthnAssertionVerifier(
        rpID: WebAuthnTestVector.rpID, origin: WebAuthnTestVector.origin, requireUserVerification: false)

    /// Registers the vector's credential, then verifies its authentication ceremony.
    static func authenticate(
        _ vector: WebAuthnTestVector, verifier: WebAuthnAssertionVerifier = verifier,
        authenticatorData: Data? = nil, signature: Data? = nil, storedSignCount: UInt32 = 0,
        storedBackupEligible: Bool? = nil, challenge: Data? = nil, clientDataJSON: Data? = nil
    ) throws -> VerifiedAssertion {
        let registration = try WebAuthnRegistrationTests.register(vector)
        return try verifier.verify(
            clientDataJSON: clientDataJSON ?? Data(hex: vector.assertionClientDataJSON),
            authenticatorData: authenticatorData ?? Data(hex: vector.authenticatorData),
            signature: signature ?? Data(hex: vector.signature),
            storedPublicKey: registration.publicKey, storedSignCount: storedSignCount,
            storedBackupEligible: storedBackupEligible,
            expectedChallenge: challenge ?? Data(hex: vector.assertionChallenge))
    }

    @Test(arguments: [
        WebAuthnTestVector.noneES256, .packedSelfES256, .packedES256, .packedEdDSA, .longCredentialID,
    ])
    func verifiesVectorAssertions(vector: WebAuthnTestVector) throws {
        let result = try Self.authenticate(vector)
        #expect(result.signCount == 0)
        #expect(result.flags.contains(.userPresent))
    }

    @Test func reportsFlags() throws {
        let none = try Self.authenticate(.noneES256)          // flags 0x19: UP, BE, BS
        #expect(!none.userVerified && none.backupState)
        let packed = try Self.authenticate(.packedES256)      // flags 0x0d: UP, UV, BE
        #expect(packed.userVerified && !packed.backupState)
        #expect(throws: Never.self) { try Self.authenticate(.noneES256, storedBackupEligible: true) }
    }

    @Test func userVerificationRequiredButNotSet() throws {
        let strict = WebAuthnAssertionVerifier(rpID: "example.org", origin: "https://example.org", requireUserVerification: true)
        #expect(throws: WebAuthnError.userVerificationRequired) { try Self.authenticate(.noneES256, verifier: strict) }
        #expect(throws: Never.self) { try Self.authenticate(.packedES256, verifier: strict) }
    }

    @Test func wrongChallengeOriginRPIDOrTypeAreRefused() throws {
        let vector = WebAuthnTestVector.noneES256
        #expect(throws: WebAuthnError.challengeMismatch) {
            try Self.authenticate(vector, challenge: Data(hex: vector.registrationChallenge))
        }
        let otherOrigin = WebAuthnAssertionVerifier(
            rpID: "example.org", allowedOrigins: ["https://example.com", "https://login.example.org"], requireUserVerification: false)
        #expect(throws: WebAuthnError.originMismatch) { try Self.authenticate(vector, verifier: otherOrigin) }
        let otherRP = WebAuthnAssertionVerifier(rpID: "evil.example", origin: "https://example.org", requireUserVerification: false)
        #expect(throws: WebAuthnError.rpIDMismatch) { try Self.authenticate(vector, verifier: otherRP) }
        #expect(throws: WebAuthnError.unexpectedCeremonyType) {
            try Self.authenticate(vector, challenge: Data(hex: vector.registrationChallenge),
                                  clientDataJSON: Data(hex: vector.registrationClientDataJSON))
        }
        #expect(throws: WebAuthnError.crossOriginNotAllowed) { try Self.authenticate(.crossOrigin) }
    }

    @Test(arguments: [WebAuthnTestVector.noneES256, .packedSelfES256, .packedEdDSA])
    func flippedSignatureByteIsRefused(vector: WebAuthnTestVector) {
        var signature = Data(hex: vector.signature)
        signature[signature.count - 3] ^= 0x01
        #expect(throws: WebAuthnError.invalidSignature) { try Self.authenticate(vector, signature: signature) }
        #expect(throws: WebAuthnError.invalidSignature) { try Self.authenticate(vector, signature: Data()) }
    }

    @Test func tamperedAuthenticatorDataIsRefused() {
        var authData = Data(hex: WebAuthnTestVector.packedSelfES256.authenticatorData)
        authData[36] ^= 0x01   // sign count: 0 → 1, not what was signed
        #expect(throws: WebAuthnError.invalidSignature) { try Self.authenticate(.packedSelfES256, authenticatorData: authData) }
    }

    @Test func signatureFromAnotherCredentialIsRefused() throws {
        let other = try WebAuthnRegistrationTests.register(.packedSelfES256)
        let vector = WebAuthnTestVector.noneES256
        #expect(throws: WebAuthnError.invalidSignature) {
            try Self.verifier.verify(
                clientDataJSON: Data(hex: vector.assertionClientDataJSON), authenticatorData: Data(hex: vector.authenticatorData),
                signature: Data(hex: vector.signature), storedPublicKey: other.publicKey, storedSignCount: 0,
                expectedChallenge: Data(hex: vector.assertionChallenge))
        }
    }

    @Test func truncatedOrPaddedAuthenticatorDataIsRefused() {
        let authData = Data(hex: WebAuthnTestVector.noneES256.authenticatorData)
        for end in [0, 1, 32, 33, 36] {
            #expect(throws: WebAuthnError.malformedAuthenticatorData) {
                try Self.authenticate(.noneES256, authenticatorData: authData.prefix(end))
            }
        }
        #expect(throws: WebAuthnError.malformedAuthenticatorData) {
            try Self.authenticate(.noneES256, authenticatorData: authData + Data([0xA0]))
        }
    }

    @Test func backupEligibilityMustNotChange() {
        #expect(throws: WebAuthnError.invalidBackupFlags) { try Self.authenticate(.noneES256, storedBackupEligible: false) }
        #expect(throws: WebAuthnError.invalidBackupFlags) { try Self.authenticate(.packedEdDSA, storedBackupEligible: true) }
    }

    @Test func signCountMustIncrease() throws {
        let authenticator = SoftwareAuthenticator()
        let challenge = SecureRandom.bytes(count: 32)
        func verify(new: UInt32, stored: UInt32) throws -> VerifiedAssertion {
            let assertion = authenticator.assertion(challenge: challenge, signCount: new)
            return try Self.verifier.verify(
                clientDataJSON: assertion.clientDataJSON, authenticatorData: assertion.authenticatorData,
                signature: assertion.signature, storedPublicKey: authenticator.coseKey, storedSignCount: stored,
                expectedChallenge: challenge)
        }
        #expect(try verify(new: 6, stored: 5).signCount == 6)
        #expect(try verify(new: 1, stored: 0).signCount == 1)
        #expect(try verify(new: 0, stored: 0).signCount == 0)
        #expect(throws: WebAuthnError.signCountRegression) { try verify(new: 5, stored: 5) }
        #expect(throws: WebAuthnError.signCountRegression) { try verify(new: 3, stored: 5) }
        // WebAuthn §7.2 step 22: a counter that drops to 0 after being non-zero is also a regression.
        #expect(throws: WebAuthnError.signCountRegression) { try verify(new: 0, stored: 5) }
        #expect(throws: WebAuthnError.signCountRegression) { try Self.authenticate(.noneES256, storedSignCount: 1) }
    }

    @Test func userPresenceAndBackupFlagConsistencyAreRequired() {
        let authenticator = SoftwareAuthenticator()
        let challenge = SecureRandom.bytes(count: 32)
        for (flags, expected) in [(UInt8(0x04), WebAuthnError.userNotPresent), (0x11, .invalidBackupFlags)] {
            let assertion = authenticator.assertion(challenge: challenge, flags: flags, signCount: 1)
            #expect(throws: expected) {
                try Self.verifier.verify(
                    clientDataJSON: assertion.clientDataJSON, authenticatorData: assertion.authenticatorData,
                    signature: assertion.signature, storedPublicKey: authenticator.coseKey, storedSignCount: 0,
                    expectedChallenge: challenge)
            }
        }
    }

    @Test func errorMessagesAreFixedStrings() {
        let errors: [WebAuthnError] = [.challengeMismatch, .signCountRegression, .invalidSignature, .userVerificationRequired]
        #expect(errors.allSatisfy { !$0.message.isEmpty })
        #expect(Set(errors.map(\.message)).count == errors.count)
    }
}
