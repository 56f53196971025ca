import CArgon2
import Foundation

/// Argon2id password hashing (RFC 9106) with PHC-format output, via the reference libargon2.
///
/// Synchronous and CPU/memory heavy by design: call it from a thread pool, never from an
/// event loop.
public struct PasswordHasher: Sendable {
    /// Argon2id cost parameters.
    public struct Parameters: Sendable, Equatable {
        /// Memory cost in KiB.
        public var memoryKiB: UInt32
        /// Number of passes over memory.
        public var iterations: UInt32
        /// Lanes (and threads).
        public var parallelism: UInt32
        /// Salt length in bytes.
        public var saltLength: Int
        /// Output tag length in bytes.
        public var hashLength: Int

        /// OWASP Password Storage Cheat Sheet minimum for argon2id: 19 MiB, 2 passes, 1 lane.
        public static let owaspMinimum = Parameters(memoryKiB: 19_456, iterations: 2, parallelism: 1)

        /// Creates parameters; the salt and tag lengths default to 16 and 32 bytes.
        public init(memoryKiB: UInt32, iterations: UInt32, parallelism: UInt32, saltLength: Int = 16, hashLength: Int = 32) {
            self.memoryKiB = memoryKiB
            self.iterations = iterations
            self.parallelism = parallelism
            self.saltLength = saltLength
            self.hashLength = hashLength
        }
    }

    /// Why hashing failed; never carries the password.
    public enum HashingError: Error, Sendable, Equatable {
        /// The parameters are outside what this hasher accepts.
        case invalidParameters
        /// libargon2 reported an error (usually memory allocation); the code is libargon2's.
        case argon2Failure(code: Int32)
    }

    /// Passwords longer than this (in UTF-8 bytes) are never hashed or verified, bounding the
    /// work an unauthenticated request can ask for. The policy caps new passwords far lower.
    public static let maxPasswordBytes = 4_096

    /// Parameters used for new hashes and against which `needsRehash` compares.
    public let parameters: Parameters

    /// Creates a hasher; the default is the OWASP minimum.
    public init(parameters: Parameters = .owaspMinimum) {
        self.parameters = parameters
    }

    /// Hashes `password` with a fresh random salt and returns the PHC string to store.
    public func hash(password: String) throws(HashingError) -> String {
        let salt = SecureRandom.bytes(count: parameters.saltLength)
        let candidate = Argon2EncodedHash(
            memoryKiB: parameters.memoryKiB, iterations: parameters.iterations,
            parallelism: parameters.parallelism, salt: salt, hash: Data())
        let passwordBytes = Array(password.utf8)
        guard passwordBytes.count <= Self.maxPasswordBytes,
              Argon2EncodedHash.saltLengths.contains(parameters.saltLength),
              Argon2EncodedHash.hashLengths.contains(parameters.hashLength),
              parameters.iterations >= 1, parameters.iterations <= Argon2EncodedHash.maxIterations,
              parameters.parallelism >= 1, parameters.parallelism <= Argon2EncodedHash.maxParallelism,
              parameters.memoryKiB >= 8 * parameters.parallelism,
              parameters.memoryKiB <= Argon2EncodedHash.maxMemoryKiB
        else { throw .invalidParameters }
        var result = candidate
        result.hash = try Self.rawHash(
            password: passwordBytes, salt: Array(salt), iterations: parameters.iterations,
            memoryKiB: parameters.memoryKiB, parallelism: parameters.parallelism,
            length: parameters.hashLength)
        return result.encoded
    }

    /// Returns whether `password` matches the stored PHC string.
    ///
    /// Returns `false` (never traps or throws) for malformed, out-of-bounds or non-argon2id
    /// strings, and compares tags in constant time.
    public func verify(password: String, encoded: String) -> Bool {
        let passwordBytes = Array(password.utf8)
        guard passwordBytes.count <= Self.maxPasswordBytes, let stored = Argon2EncodedHash(encoded) else {
            return false
        }
        guard let computed = try? Self.rawHash(
            password: passwordBytes, salt: Array(stored.salt), iterations: stored.iterations,
            memoryKiB: stored.memoryKiB, parallelism: stored.parallelism, length: stored.hash.count)
        else { return false }
        return ConstantTime.equals(computed, stored.hash)
    }

    /// Returns whether a stored hash was made with other parameters than the current ones (or
    /// cannot be parsed), so the caller should re-hash the password after a successful login.
    public func needsRehash(encoded: String) -> Bool {
        guard let stored = Argon2EncodedHash(encoded) else { return true }
        return stored.memoryKiB != parameters.memoryKiB
            || stored.iterations != parameters.iterations
            || stored.parallelism != parameters.parallelism
            || stored.salt.count != parameters.saltLength
            || stored.hash.count != parameters.hashLength
    }

    /// Raw argon2id tag. `secret` and `associatedData` exist for the RFC 9106 test vector;
    /// production hashes use neither.
    static func rawHash(
        password: [UInt8], salt: [UInt8], iterations: UInt32, memoryKiB: UInt32, parallelism: UInt32,
        length: Int, secret: [UInt8] = [], associatedData: [UInt8] = []
    ) throws(HashingError) -> Data {
        var output = [UInt8](repeating: 0, count: length)
        // argon2_ctx takes non-const pointers but never writes through the inputs; the copies
        // keep each buffer alive and uniquely owned for the duration of the call.
        var passwordCopy = password
        var saltCopy = salt
        var secretCopy = secret
        var adCopy = associatedData
        let status: Int32 = output.withUnsafeMutableBufferPointer { out in
            passwordCopy.withUnsafeMutableBufferPointer { pwd in
                saltCopy.withUnsafeMutableBufferPointer { saltBuffer in
                    secretCopy.withUnsafeMutableBufferPointer { secretBuffer in
                        adCopy.withUnsafeMutableBufferPointer { adBuffer in
                            var context = argon2_context()
                            context.out = out.baseAddress
                            context.outlen = UInt32(out.count)
                            context.pwd = pwd.baseAddress
                            context.pwdlen = UInt32(pwd.count)
                            context.salt = saltBuffer.baseAddress
                            context.saltlen = UInt32(saltBuffer.count)
                            context.secret = secretBuffer.count > 0 ? secretBuffer.baseAddress : nil
                            context.secretlen = UInt32(secretBuffer.count)
                            context.ad = adBuffer.count > 0 ? adBuffer.baseAddress : nil
                            context.adlen = UInt32(adBuffer.count)
                            context.t_cost = iterations
                            context.m_cost = memoryKiB
                            context.lanes = parallelism
                            context.threads = parallelism
                            context.version = Argon2EncodedHash.version
                            context.allocate_cbk = nil
                            context.free_cbk = nil
                            context.flags = 0
                            return argon2_ctx(&context, Argon2_id)
                        }
                    }
                }
            }
        }
        // Best-effort wipe of our copy; the caller's String is beyond our control.
        for index in passwordCopy.indices { passwordCopy[index] = 0 }
        guard status == ARGON2_OK.rawValue else { throw .argon2Failure(code: status) }
        return Data(output)
    }
}
