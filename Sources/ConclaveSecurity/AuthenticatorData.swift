import Crypto
import Foundation

/// Parsed authenticator data (WebAuthn §6.1): rpIdHash, flags, signCount and the optional
/// attested credential data and extensions. Parsing is strict: every byte must be accounted
/// for, so no two parsers can see different contents in the same bytes.
public struct AuthenticatorData: Sendable, Equatable {
    /// The bytes this was parsed from (signatures cover these exact bytes).
    public let rawValue: Data
    /// SHA-256 of the RP ID the authenticator scoped the credential to.
    public let rpIDHash: Data
    /// The flags byte.
    public let flags: AuthenticatorFlags
    /// The signature counter (0 if the authenticator does not keep one).
    public let signCount: UInt32
    /// Present when the AT flag is set.
    public let attestedCredentialData: AttestedCredentialData?
    /// Extension outputs, present when the ED flag is set.
    public let extensions: CBORValue?

    private static let fixedLength = 37
    private static let cbor = CBORDecoder(limits: .init(maxDepth: 8, maxItems: 256, allowFloats: false))

    /// Parses authenticator data.
    public init(bytes: some DataProtocol) throws(WebAuthnError) {
        let raw = Array(bytes)
        guard raw.count >= Self.fixedLength else { throw .malformedAuthenticatorData }
        let flags = AuthenticatorFlags(rawValue: raw[32])
        var position = Self.fixedLength
        var attested: AttestedCredentialData?
        if flags.contains(.attestedCredentialData) {
            // aaguid (16) + credentialIdLength (2)
            guard raw.count - position >= 18 else { throw .malformedAuthenticatorData }
            let aaguid = Data(raw[position..<(position + 16)])
            let idLength = Int(raw[position + 16]) << 8 | Int(raw[position + 17])
            position += 18
            guard idLength <= AttestedCredentialData.maxCredentialIDLength else { throw .credentialIDTooLong }
            guard raw.count - position >= idLength else { throw .malformedAuthenticatorData }
            let credentialID = Data(raw[position..<(position + idLength)])
            position += idLength
            let decoded: (value: CBORValue, consumed: Int)
            do {
                decoded = try COSEKey.cbor.decodePrefix(raw[position...])
            } catch {
                throw .malformedAuthenticatorData
            }
            let keyBytes = Data(raw[position..<(position + decoded.consumed)])
            position += decoded.consumed
            attested = AttestedCredentialData(
                aaguid: aaguid, credentialID: credentialID, publicKeyBytes: keyBytes,
                publicKey: try COSEKey(cbor: decoded.value))
        }
        var extensions: CBORValue?
        if flags.contains(.extensionData) {
            do {
                let decoded = try Self.cbor.decodePrefix(raw[position...])
                guard case .map = decoded.value else { throw WebAuthnError.malformedAuthenticatorData }
                extensions = decoded.value
                position += decoded.consumed
            } catch {
                throw .malformedAuthenticatorData
            }
        }
        guard position == raw.count else { throw .malformedAuthenticatorData }
        self.rawValue = Data(raw)
        self.rpIDHash = Data(raw[0..<32])
        self.flags = flags
        self.signCount = UInt32(raw[33]) << 24 | UInt32(raw[34]) << 16 | UInt32(raw[35]) << 8 | UInt32(raw[36])
        self.attestedCredentialData = attested
        self.extensions = extensions
    }

    /// Checks the parts every ceremony shares: RP ID hash, user presence, user verification
    /// policy and backup-flag consistency (WebAuthn §7.1 steps 13–16, §7.2 steps 15–18).
    func verify(rpID: String, requireUserVerification: Bool) throws(WebAuthnError) {
        guard ConstantTime.equals(rpIDHash, Array(SHA256.hash(data: Array(rpID.utf8)))) else { throw .rpIDMismatch }
        guard flags.contains(.userPresent) else { throw .userNotPresent }
        if requireUserVerification && !flags.contains(.userVerified) { throw .userVerificationRequired }
        if flags.contains(.backupState) && !flags.contains(.backupEligible) { throw .invalidBackupFlags }
    }
}
