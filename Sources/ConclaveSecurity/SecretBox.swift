import Crypto
import Foundation

/// AES-256-GCM encryption of small secrets at rest (TOTP secrets, webhook signing keys, …).
///
/// Each box encrypts one kind of data under its own subkey, derived from the master key with
/// HKDF-SHA-256 using the purpose string as `info`; the master key itself never encrypts
/// anything, so ciphertexts of one kind cannot be decrypted as another.
///
/// Blob layout: `version (1) || nonce (12) || ciphertext || tag (16)`. The version byte is
/// authenticated along with the caller's associated data (e.g. the row id), so a blob copied to
/// another row, or relabelled with another version, fails to open.
public struct SecretBox: Sendable {
    /// Why sealing or opening failed; deliberately uninformative about which check failed.
    public enum BoxError: Error, Sendable, Equatable {
        /// The master key is not 32 bytes.
        case invalidMasterKey
        /// The purpose string is empty.
        case invalidPurpose
        /// The blob is malformed, of an unknown version, tampered with, or sealed under another
        /// key, purpose or associated data.
        case authenticationFailed
        /// The underlying cipher refused the input.
        case encryptionFailed
    }

    /// The only blob version written today.
    public static let currentVersion: UInt8 = 1
    private static let nonceLength = 12
    private static let tagLength = 16

    /// The purpose this box was created for.
    public let purpose: String
    private let key: SymmetricKey

    /// Creates a box for one purpose (e.g. `"totp-secret"`) from a 32-byte master key.
    public init(masterKey: some DataProtocol, purpose: String) throws(BoxError) {
        guard masterKey.count == 32 else { throw .invalidMasterKey }
        guard !purpose.isEmpty else { throw .invalidPurpose }
        self.purpose = purpose
        self.key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: Array(masterKey)),
            info: Array(purpose.utf8),
            outputByteCount: 32)
    }

    /// Encrypts `plaintext`, binding it to `associatedData`; a random nonce is drawn per call.
    public func seal(_ plaintext: some DataProtocol, associatedData: some DataProtocol = Data()) throws(BoxError) -> Data {
        let header = Data([Self.currentVersion])
        let sealed: AES.GCM.SealedBox
        do {
            sealed = try AES.GCM.seal(Array(plaintext), using: key, nonce: AES.GCM.Nonce(),
                                      authenticating: Self.authenticatedData(header: header, associatedData: associatedData))
        } catch {
            throw .encryptionFailed
        }
        guard let combined = sealed.combined else { throw .encryptionFailed }
        return header + combined
    }

    /// Decrypts a blob from `seal`; throws `.authenticationFailed` on any mismatch, never
    /// returning unauthenticated bytes.
    public func open(_ blob: some DataProtocol, associatedData: some DataProtocol = Data()) throws(BoxError) -> Data {
        let bytes = Array(blob)
        guard bytes.count >= 1 + Self.nonceLength + Self.tagLength, bytes[0] == Self.currentVersion else {
            throw .authenticationFailed
        }
        do {
            let box = try AES.GCM.SealedBox(combined: bytes[1...])
            return try AES.GCM.open(box, using: key,
                                    authenticating: Self.authenticatedData(header: Data(bytes[0..<1]), associatedData: associatedData))
        } catch {
            throw .authenticationFailed
        }
    }

    /// Length-prefixes the caller's data so (header, AD) pairs can never collide.
    private static func authenticatedData(header: Data, associatedData: some DataProtocol) -> Data {
        var data = header
        withUnsafeBytes(of: UInt64(associatedData.count).bigEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: associatedData)
        return data
    }
}
