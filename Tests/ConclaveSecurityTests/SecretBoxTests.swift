import Foundation
import Testing
import ConclaveSecurity

@Suite struct SecretBoxTests {
    let masterKey = SecureRandom.bytes(count: 32)

    @Test func roundTrips() throws {
        let box = try SecretBox(masterKey: masterKey, purpose: "totp-secret")
        let secret = Data("JBSWY3DPEHPK3PXP".utf8)
        let blob = try box.seal(secret, associatedData: Data("user:42".utf8))
        #expect(blob.count == 1 + 12 + secret.count + 16)
        #expect(blob.first == SecretBox.currentVersion)
        #expect(try box.open(blob, associatedData: Data("user:42".utf8)) == secret)
        // Fresh nonce per seal.
        #expect(try box.seal(secret, associatedData: Data("user:42".utf8)) != blob)
        #expect(try box.open(try box.seal(Data())) == Data())
    }

    @Test func detectsTamperingAnywhereInTheBlob() throws {
        let box = try SecretBox(masterKey: masterKey, purpose: "totp-secret")
        let blob = try box.seal(Data("secret".utf8), associatedData: Data("row-1".utf8))
        for index in blob.indices {
            var tampered = blob
            tampered[index] ^= 0x01
            #expect(throws: SecretBox.BoxError.authenticationFailed) { try box.open(tampered, associatedData: Data("row-1".utf8)) }
        }
        #expect(throws: SecretBox.BoxError.authenticationFailed) { try box.open(blob.dropLast(), associatedData: Data("row-1".utf8)) }
        #expect(throws: SecretBox.BoxError.authenticationFailed) { try box.open(Data(), associatedData: Data("row-1".utf8)) }
        #expect(throws: SecretBox.BoxError.authenticationFailed) { try box.open(blob + Data([0]), associatedData: Data("row-1".utf8)) }
    }

    @Test func wrongAssociatedDataFails() throws {
        let box = try SecretBox(masterKey: masterKey, purpose: "totp-secret")
        let blob = try box.seal(Data("secret".utf8), associatedData: Data("row-1".utf8))
        #expect(throws: SecretBox.BoxError.authenticationFailed) { try box.open(blob, associatedData: Data("row-2".utf8)) }
        #expect(throws: SecretBox.BoxError.authenticationFailed) { try box.open(blob) }
    }

    @Test func wrongKeyOrPurposeFails() throws {
        let box = try SecretBox(masterKey: masterKey, purpose: "totp-secret")
        let blob = try box.seal(Data("secret".utf8))
        let otherKey = try SecretBox(masterKey: SecureRandom.bytes(count: 32), purpose: "totp-secret")
        #expect(throws: SecretBox.BoxError.authenticationFailed) { try otherKey.open(blob) }
        let otherPurpose = try SecretBox(masterKey: masterKey, purpose: "webhook-secret")
        #expect(throws: SecretBox.BoxError.authenticationFailed) { try otherPurpose.open(blob) }
    }

    @Test func validatesConfiguration() {
        #expect(throws: SecretBox.BoxError.invalidMasterKey) { try SecretBox(masterKey: Data(count: 16), purpose: "x") }
        #expect(throws: SecretBox.BoxError.invalidPurpose) { try SecretBox(masterKey: Data(count: 32), purpose: "") }
    }
}
