import ConclaveCore
import Crypto

/// Computes the audit chain's link: `hash = SHA-256(prev_hash || canonical JSON of the entry without hash)`.
///
/// `prev_hash` of the first entry in a chain is 64 zeros. Hashes are lowercase hex so they read the
/// same in SQL, JSON and the CLI.
public enum AuditHasher {
    public static let genesisHash = String(repeating: "0", count: 64)

    public static func hash(previous: String, entry: JSONValue) -> String {
        var hasher = SHA256()
        hasher.update(data: Array(previous.utf8))
        hasher.update(data: entry.canonicalBytes)
        return hex(hasher.finalize())
    }

    static func hex(_ digest: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
