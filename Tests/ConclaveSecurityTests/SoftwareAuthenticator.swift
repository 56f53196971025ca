import ConclaveSecurity
import Crypto
import Foundation

/// An in-test ES256 authenticator, for cases the W3C vectors do not cover (non-zero counters,
/// missing flags, malformed authenticator data).
struct SoftwareAuthenticator {
    let privateKey = P256.Signing.PrivateKey()
    let rpID = WebAuthnTestVector.rpID
    let origin = WebAuthnTestVector.origin

    var coseKey: Data {
        let point = privateKey.publicKey.x963Representation
        return CBOREncoderForTests.encode(.map([
            .init(key: .unsigned(1), value: .unsigned(2)),
            .init(key: .unsigned(3), value: .negative(6)),
            .init(key: .negative(0), value: .unsigned(1)),
            .init(key: .negative(1), value: .bytes(point[1..<33])),
            .init(key: .negative(2), value: .bytes(point[33..<65])),
        ]))
    }

    func clientDataJSON(type: String, challenge: Data) -> Data {
        Data(#"{"type":"\#(type)","challenge":"\#(Base64URL.encode(challenge))","origin":"\#(origin)","crossOrigin":false}"#.utf8)
    }

    func authenticatorData(flags: UInt8, signCount: UInt32, attested: Data = Data()) -> Data {
        Data(SHA256.hash(data: Data(rpID.utf8))) + Data([flags])
            + withUnsafeBytes(of: signCount.bigEndian) { Data($0) } + attested
    }

    /// A `none`-attestation registration with UP and UV set.
    func registration(challenge: Data, credentialID: Data = Data(repeating: 7, count: 16), authenticatorData overriding: Data? = nil)
        -> (clientDataJSON: Data, attestationObject: Data)
    {
        let attested = Data(repeating: 0, count: 16)
            + withUnsafeBytes(of: UInt16(credentialID.count).bigEndian) { Data($0) } + credentialID + coseKey
        let authData = overriding ?? authenticatorData(flags: 0x45, signCount: 0, attested: attested)
        let object = CBOREncoderForTests.encode(.map([
            .init(key: .text("fmt"), value: .text("none")),
            .init(key: .text("attStmt"), value: .map([])),
            .init(key: .text("authData"), value: .bytes(authData)),
        ]))
        return (clientDataJSON(type: "webauthn.create", challenge: challenge), object)
    }

    /// A signed assertion.
    func assertion(challenge: Data, flags: UInt8 = 0x05, signCount: UInt32)
        -> (clientDataJSON: Data, authenticatorData: Data, signature: Data)
    {
        let clientData = clientDataJSON(type: "webauthn.get", challenge: challenge)
        let authData = authenticatorData(flags: flags, signCount: signCount)
        let signature = try! privateKey.signature(for: authData + Data(SHA256.hash(data: clientData))).derRepresentation
        return (clientData, authData, signature)
    }
}
