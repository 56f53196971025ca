import Crypto
import Foundation

/// A credential public key in COSE form (RFC 9053), restricted to ES256 and Ed25519: the two
/// algorithms every platform authenticator offers, neither of which has RSA's padding pitfalls.
public enum COSEKey: Sendable, Equatable {
    /// kty 2 (EC2), alg -7, crv 1 (P-256).
    case es256(P256.Signing.PublicKey)
    /// kty 1 (OKP), alg -8, crv 6 (Ed25519).
    case ed25519(Curve25519.Signing.PublicKey)

    /// The decoder for every COSE key: stored ones (`init(bytes:)`) and the one in authenticator
    /// data at registration, so a key accepted at registration always loads again at sign-in.
    static let cbor = CBORDecoder(limits: .init(maxDepth: 4, maxItems: 64, allowFloats: false))

    /// Parses a stored COSE key (the `publicKeyBytes` saved at registration).
    public init(bytes: some DataProtocol) throws(WebAuthnError) {
        let value: CBORValue
        do {
            value = try Self.cbor.decode(bytes)
        } catch {
            throw .malformedPublicKey
        }
        try self.init(cbor: value)
    }

    /// Builds a key from a decoded COSE_Key map.
    public init(cbor key: CBORValue) throws(WebAuthnError) {
        guard key.mapValue != nil, let kty = key[intKey: 1]?.int64Value, let alg = key[intKey: 3]?.int64Value else {
            throw .malformedPublicKey
        }
        // A key carrying its private part (label -4, "d") is a broken or hostile authenticator.
        guard key[intKey: -4] == nil else { throw .malformedPublicKey }
        switch (kty, COSEAlgorithm(rawValue: alg)) {
        case (2, .es256):
            guard key[intKey: -1]?.int64Value == 1 else { throw .unsupportedAlgorithm }
            guard let x = key[intKey: -2]?.bytesValue, let y = key[intKey: -3]?.bytesValue,
                  x.count == 32, y.count == 32
            else { throw .malformedPublicKey }
            do {
                // x963 parsing rejects points that are not on the curve.
                self = .es256(try P256.Signing.PublicKey(x963Representation: [0x04] + x + y))
            } catch {
                throw .malformedPublicKey
            }
        case (1, .eddsa):
            guard key[intKey: -1]?.int64Value == 6 else { throw .unsupportedAlgorithm }
            guard let x = key[intKey: -2]?.bytesValue, x.count == 32 else { throw .malformedPublicKey }
            do {
                self = .ed25519(try Curve25519.Signing.PublicKey(rawRepresentation: x))
            } catch {
                throw .malformedPublicKey
            }
        case (1, _), (2, _), (3, _):
            throw .unsupportedAlgorithm
        default:
            throw .malformedPublicKey
        }
    }

    /// The COSE algorithm of this key.
    public var algorithm: COSEAlgorithm {
        switch self {
        case .es256: .es256
        case .ed25519: .eddsa
        }
    }

    /// Verifies a WebAuthn signature: DER-encoded ECDSA for ES256, raw 64 bytes for Ed25519.
    public func isValidSignature(_ signature: some DataProtocol, for data: some DataProtocol) -> Bool {
        switch self {
        case .es256(let key):
            guard let parsed = try? P256.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return key.isValidSignature(parsed, for: data)
        case .ed25519(let key):
            return key.isValidSignature(signature, for: data)
        }
    }

    /// Keys are equal when they encode the same public point.
    public static func == (lhs: COSEKey, rhs: COSEKey) -> Bool {
        switch (lhs, rhs) {
        case (.es256(let left), .es256(let right)): left.x963Representation == right.x963Representation
        case (.ed25519(let left), .ed25519(let right)): left.rawRepresentation == right.rawRepresentation
        default: false
        }
    }
}
