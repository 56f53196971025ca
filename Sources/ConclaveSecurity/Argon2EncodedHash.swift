import Foundation

/// An argon2id hash in the PHC string format: `$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>`.
///
/// Parsed by hand rather than handed to `argon2id_verify` so that costs read from storage are
/// bounded before anything is allocated: a corrupted or planted row must not be able to make a
/// login request allocate gigabytes or spin for minutes.
struct Argon2EncodedHash: Sendable, Equatable {
    static let version: UInt32 = 0x13

    /// Upper bounds applied when parsing; generous next to any sane configuration.
    static let maxMemoryKiB: UInt32 = 1 << 21  // 2 GiB
    static let maxIterations: UInt32 = 64
    static let maxParallelism: UInt32 = 64
    static let saltLengths = 8...64
    static let hashLengths = 16...64

    var memoryKiB: UInt32
    var iterations: UInt32
    var parallelism: UInt32
    var salt: Data
    var hash: Data

    init(memoryKiB: UInt32, iterations: UInt32, parallelism: UInt32, salt: Data, hash: Data) {
        self.memoryKiB = memoryKiB
        self.iterations = iterations
        self.parallelism = parallelism
        self.salt = salt
        self.hash = hash
    }

    /// Parses a PHC string; `nil` if it is not an in-bounds argon2id v19 hash.
    init?(_ encoded: String) {
        // Anything longer cannot be a hash within our bounds; refuse before splitting.
        guard encoded.utf8.count <= 512 else { return nil }
        let fields = encoded.split(separator: "$", omittingEmptySubsequences: false)
        guard fields.count == 6, fields[0].isEmpty, fields[1] == "argon2id", fields[2] == "v=19" else {
            return nil
        }
        var memory: UInt32?
        var iterations: UInt32?
        var parallelism: UInt32?
        let parameters = fields[3].split(separator: ",", omittingEmptySubsequences: false)
        guard parameters.count == 3 else { return nil }
        for (expectedKey, parameter) in zip(["m", "t", "p"], parameters) {
            let pair = parameter.split(separator: "=", omittingEmptySubsequences: false)
            guard pair.count == 2, pair[0] == expectedKey, let value = Self.decimal(pair[1]) else { return nil }
            switch expectedKey {
            case "m": memory = value
            case "t": iterations = value
            default: parallelism = value
            }
        }
        guard let memory, let iterations, let parallelism,
              (1...Self.maxIterations).contains(iterations),
              (1...Self.maxParallelism).contains(parallelism),
              memory <= Self.maxMemoryKiB, memory >= 8 * parallelism,
              let salt = Base64Codec.standard.decode(fields[4]), Self.saltLengths.contains(salt.count),
              let hash = Base64Codec.standard.decode(fields[5]), Self.hashLengths.contains(hash.count)
        else { return nil }
        self.init(memoryKiB: memory, iterations: iterations, parallelism: parallelism, salt: salt, hash: hash)
    }

    var encoded: String {
        "$argon2id$v=19$m=\(memoryKiB),t=\(iterations),p=\(parallelism)$"
            + Base64Codec.standard.encode(salt) + "$" + Base64Codec.standard.encode(hash)
    }

    /// Plain decimal without sign, leading zeros or overflow (PHC forbids leading zeros).
    private static func decimal(_ text: Substring) -> UInt32? {
        guard !text.isEmpty, text.utf8.count <= 10, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              text == "0" || text.first != "0"
        else { return nil }
        return UInt32(text)
    }
}
