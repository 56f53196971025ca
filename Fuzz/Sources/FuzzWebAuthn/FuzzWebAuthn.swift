// libFuzzer target: ConclaveSecurity's WebAuthn parsing of client-supplied bytes. Each input is
// fed, whole, to every parser: the CBOR decoder, authenticator data (with its attested credential
// data, COSE key and extensions), a stored COSE key, a registration's attestation object (`none`
// and `packed`, which walks the x5c certificate's DER) and an assertion's authenticator data.
// Anything must be refused with an error: no crash, no unbounded recursion, no allocation
// beyond the input's size (scripts/fuzz caps a single allocation with -malloc_limit_mb).
import ConclaveSecurity
import Foundation

/// The W3C WebAuthn L3 test vector "ES256 Credential with No Attestation" (as in
/// Tests/ConclaveSecurityTests/WebAuthnTestVector.swift): the fixed ceremony around the input.
enum Vector {
    static let rpID = "example.org"
    static let origin = "https://example.org"
    static let registrationChallenge = hex("00c30fb78531c464d2b6771dab8d7b603c01162f2fa486bea70f283ae556e130")
    static let registrationClientDataJSON = Data(
        #"{"type":"webauthn.create","challenge":"AMMPt4UxxGTStncdq417YDwBFi8vpIa-pw8oOuVW4TA","origin":"https://example.org","crossOrigin":false,"extraData":"clientDataJSON may be extended with additional fields in the future, such as this: BkQeDjdcTBrXBiAwJTLE5Q"}"#
            .utf8)
    static let assertionChallenge = hex("39c0e7521417ba54d43e8dc95174f423dee9bf3cd804ff6d65c857c9abf4d408")
    static let assertionClientDataJSON = Data(
        #"{"type":"webauthn.get","challenge":"OcDnUhQXulTUPo3JUXT0I97pvzzYBP9tZchXyav01Ag","origin":"https://example.org","crossOrigin":false}"#.utf8)
    static let signature = hex(
        "3046022100f50a4e2e4409249c4a853ba361282f09841df4dd4547a13a87780218deffcd380221008480ac0f0b93538174f575bf11a1dd5d78c6e486013f937295ea13653e331e87")
    static let publicKey = hex(
        "a5010203262001215820afefa16f97ca9b2d23eb86ccb64098d20db90856062eb249c33a9b672f26df61225820930a56b87a2fca66334b03458abf879717c12cc68ed73290af2e2664796b9220")

    static func hex(_ text: String) -> Data {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            bytes.append(UInt8(text[index..<next], radix: 16)!)
            index = next
        }
        return Data(bytes)
    }
}

let registration = WebAuthnRegistrationVerifier(rpID: Vector.rpID, origin: Vector.origin, requireUserVerification: false)
let assertion = WebAuthnAssertionVerifier(rpID: Vector.rpID, origin: Vector.origin, requireUserVerification: false)

/// libFuzzer calls this once before the first input. One-time state (lazy globals, caches) is
/// created here, where Fuzz/lsan-suppressions.txt exempts it from leak reports.
@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    _ = (Vector.registrationChallenge, Vector.registrationClientDataJSON, Vector.assertionChallenge)
    _ = (Vector.assertionClientDataJSON, Vector.signature, Vector.publicKey, registration, assertion)
    for seed in [[], Array(Vector.publicKey)] {
        _ = fuzz(seed, seed.count)
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Data(UnsafeBufferPointer(start: data, count: size))
    checkCBOR(input)
    checkAuthenticatorData(input)
    if let key = try? COSEKey(bytes: input) {
        _ = key.isValidSignature(Vector.signature, for: input)
    }
    if let registered = try? registration.verify(
        clientDataJSON: Vector.registrationClientDataJSON, attestationObject: input, expectedChallenge: Vector.registrationChallenge)
    {
        // What registration stores must load again at every later sign-in.
        precondition((try? COSEKey(bytes: registered.publicKey)) != nil, "registered a key that does not load: \(input.base64EncodedString())")
        precondition(registered.credentialID.count <= AttestedCredentialData.maxCredentialIDLength, "credential ID too long")
    }
    _ = try? assertion.verify(
        clientDataJSON: Vector.assertionClientDataJSON, authenticatorData: input, signature: Vector.signature,
        storedPublicKey: Vector.publicKey, storedSignCount: 0, expectedChallenge: Vector.assertionChallenge)
    _ = try? CollectedClientData(json: input)
    return 0
}

/// `decode` must succeed exactly when `decodePrefix` consumes the whole input.
func checkCBOR(_ input: Data) {
    let decoder = CBORDecoder()
    let prefix = try? decoder.decodePrefix(input)
    let whole = try? decoder.decode(input)
    if let prefix {
        precondition(prefix.consumed > 0 && prefix.consumed <= input.count, "impossible consumed count")
        precondition((whole != nil) == (prefix.consumed == input.count), "decode and decodePrefix disagree")
    } else {
        precondition(whole == nil, "decode accepted what decodePrefix refused")
    }
}

/// Parsed authenticator data keeps its exact bytes, and its credential key re-parses from the
/// bytes that would be stored.
func checkAuthenticatorData(_ input: Data) {
    guard let parsed = try? AuthenticatorData(bytes: input) else { return }
    precondition(parsed.rawValue == input, "rawValue differs from the input")
    guard let credential = parsed.attestedCredentialData else { return }
    precondition(credential.credentialID.count <= AttestedCredentialData.maxCredentialIDLength, "credential ID too long")
    precondition(
        (try? COSEKey(bytes: credential.publicKeyBytes)) == credential.publicKey,
        "stored key bytes do not load as the parsed key: \(input.base64EncodedString())")
}
