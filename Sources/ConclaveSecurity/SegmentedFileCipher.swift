import Crypto
import Foundation

/// AES-256-GCM over a file in fixed-size segments, so a large file is encrypted and decrypted
/// one segment at a time and never sits whole in memory.
///
/// The construction is STREAM (Hoang, Reyhanitabar, Rogaway, Vizár): segment `i` is sealed under
/// the file's own key with the nonce `prefix (7) || i (4, big-endian) || final (1)`, where
/// `final` is 1 only on the last segment. Swapping two segments, dropping one, or cutting the
/// file at a segment boundary therefore fails to open (the index or the final flag disagrees).
///
/// Stored layout: `version (1) || prefix (7) || segment 0 || … || segment n`, each segment
/// `ciphertext || tag (16)`; every segment but the last holds `segmentSize` plaintext bytes, the
/// last holds 0…segmentSize (an empty file is one empty final segment).
public struct SegmentedFileCipher: Sendable {
    public enum CipherError: Error, Sendable, Equatable {
        /// The key is not 32 bytes.
        case invalidKey
        /// Malformed, tampered with, reordered, truncated, or under another key.
        case authenticationFailed
    }

    public static let version: UInt8 = 1
    public static let segmentSize = 64 * 1024
    public static let tagLength = 16
    public static let prefixLength = 7
    public static let headerLength = 1 + prefixLength
    /// A stored segment's length when full.
    public static let sealedSegmentSize = segmentSize + tagLength

    private let key: SymmetricKey
    /// The 7 random bytes every nonce of this file starts with.
    public let prefix: [UInt8]

    /// A cipher for a new file: a fresh random nonce prefix.
    public init(key: some DataProtocol) throws(CipherError) {
        try self.init(key: key, prefix: Array(SecureRandom.bytes(count: Self.prefixLength)))
    }

    /// A cipher for a stored file, from its header.
    public init(key: some DataProtocol, header: some DataProtocol) throws(CipherError) {
        let bytes = Array(header)
        guard bytes.count == Self.headerLength, bytes[0] == Self.version else { throw .authenticationFailed }
        try self.init(key: key, prefix: Array(bytes[1...]))
    }

    private init(key: some DataProtocol, prefix: [UInt8]) throws(CipherError) {
        guard key.count == 32 else { throw .invalidKey }
        self.key = SymmetricKey(data: Array(key))
        self.prefix = prefix
    }

    /// A new random file key.
    public static func generateKey() -> Data {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
    }

    /// The bytes the stored file starts with.
    public var header: Data { Data([Self.version] + prefix) }

    /// Seals segment `index` (≤ `segmentSize` bytes; `final` on the last one only).
    public func seal(_ plaintext: some DataProtocol, index: UInt32, final: Bool) throws(CipherError) -> Data {
        do {
            let box = try AES.GCM.seal(Array(plaintext), using: key, nonce: try nonce(index: index, final: final))
            return box.ciphertext + box.tag
        } catch {
            throw .authenticationFailed
        }
    }

    /// Opens stored segment `index`; throws unless it was sealed here at that index with that flag.
    public func open(_ sealed: some DataProtocol, index: UInt32, final: Bool) throws(CipherError) -> Data {
        let bytes = Array(sealed)
        guard bytes.count >= Self.tagLength, bytes.count <= Self.sealedSegmentSize else { throw .authenticationFailed }
        do {
            let box = try AES.GCM.SealedBox(
                nonce: try nonce(index: index, final: final), ciphertext: bytes.dropLast(Self.tagLength), tag: bytes.suffix(Self.tagLength))
            return try AES.GCM.open(box, using: key)
        } catch {
            throw .authenticationFailed
        }
    }

    private func nonce(index: UInt32, final: Bool) throws -> AES.GCM.Nonce {
        var bytes = prefix
        withUnsafeBytes(of: index.bigEndian) { bytes.append(contentsOf: $0) }
        bytes.append(final ? 1 : 0)
        return try AES.GCM.Nonce(data: bytes)
    }

    /// The whole stored form of a small file held in memory (tests, small MCP uploads).
    public func sealAll(_ plaintext: some DataProtocol) throws(CipherError) -> Data {
        let bytes = Array(plaintext)
        var out = header
        var offset = 0
        var index: UInt32 = 0
        repeat {
            let end = min(offset + Self.segmentSize, bytes.count)
            out += try seal(bytes[offset..<end], index: index, final: end == bytes.count)
            offset = end
            index += 1
        } while offset < bytes.count
        return out
    }

    /// Opens a whole stored file held in memory; throws on any tampering, reordering or truncation.
    public static func openAll(_ stored: some DataProtocol, key: some DataProtocol) throws(CipherError) -> Data {
        let bytes = Array(stored)
        guard bytes.count >= headerLength + tagLength else { throw .authenticationFailed }
        let cipher = try SegmentedFileCipher(key: key, header: bytes[0..<headerLength])
        var out = Data()
        var offset = headerLength
        var index: UInt32 = 0
        while true {
            let end = min(offset + sealedSegmentSize, bytes.count)
            let final = end == bytes.count
            out += try cipher.open(bytes[offset..<end], index: index, final: final)
            if final { return out }
            offset = end
            index += 1
        }
    }
}
