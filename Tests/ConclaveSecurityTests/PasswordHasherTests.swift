import Foundation
import Testing
@testable import ConclaveSecurity

@Suite struct PasswordHasherTests {
    /// Cheap parameters so the suite stays fast; production uses `.owaspMinimum`.
    static let fast = PasswordHasher(parameters: .init(memoryKiB: 256, iterations: 1, parallelism: 1))

    // argon2 reference implementation test suite (test.c, version 0x13, argon2id), each also
    // checked with Debian's `argon2` CLI.
    @Test(arguments: [
        ("password", "somesalt", UInt32(2), UInt32(65_536), UInt32(1), "09316115d5cf24ed5a15a31a3ba326e5cf32edc24702987c02b6566f61913cf7"),
        ("password", "somesalt", 1, 65_536, 1, "f6a5adc1ba723dddef9b5ac1d464e180fcd9dffc9d1cbf76cca2fed795d9ca98"),
        ("password", "somesalt", 2, 256, 1, "9dfeb910e80bad0311fee20f9c0e2b12c17987b4cac90c2ef54d5b3021c68bfe"),
        ("password", "somesalt", 2, 65_536, 2, "6f681ac1c3384a90119d2763a683f9ac79532d999abfab5644aa8aafd3d0d234"),
        ("differentpassword", "somesalt", 2, 65_536, 1, "0b84d652cf6b0c4beaef0dfe278ba6a80df6696281d7e0d2891b817d8c458fde"),
        ("password", "diffsalt", 2, 65_536, 1, "bdf32b05ccc42eb15d58fd19b1f856b113da1e9a5874fdcc544308565aa8141c"),
    ])
    func matchesReferenceVectors(password: String, salt: String, t: UInt32, m: UInt32, p: UInt32, expected: String) throws {
        let tag = try PasswordHasher.rawHash(
            password: Array(password.utf8), salt: Array(salt.utf8), iterations: t, memoryKiB: m, parallelism: p, length: 32)
        #expect(tag.hex == expected)
    }

    // RFC 9106 §5.3 (argon2id with secret and associated data).
    @Test func matchesRFC9106Vector() throws {
        let tag = try PasswordHasher.rawHash(
            password: [UInt8](repeating: 0x01, count: 32), salt: [UInt8](repeating: 0x02, count: 16),
            iterations: 3, memoryKiB: 32, parallelism: 4, length: 32,
            secret: [UInt8](repeating: 0x03, count: 8), associatedData: [UInt8](repeating: 0x04, count: 12))
        #expect(tag.hex == "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659")
    }

    @Test func verifiesReferencePHCString() {
        let encoded = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"
        #expect(PasswordHasher().verify(password: "password", encoded: encoded))
        #expect(!PasswordHasher().verify(password: "Password", encoded: encoded))
    }

    @Test func hashProducesPHCStringWithDefaultParameters() throws {
        let hasher = PasswordHasher()
        #expect(hasher.parameters == .owaspMinimum)
        let encoded = try hasher.hash(password: "correct horse battery staple")
        #expect(encoded.hasPrefix("$argon2id$v=19$m=19456,t=2,p=1$"))
        let parsed = try #require(Argon2EncodedHash(encoded))
        #expect(parsed.salt.count == 16)
        #expect(parsed.hash.count == 32)
        #expect(hasher.verify(password: "correct horse battery staple", encoded: encoded))
        #expect(!hasher.verify(password: "correct horse battery stapler", encoded: encoded))
        #expect(!hasher.needsRehash(encoded: encoded))
    }

    @Test func saltsAreFreshPerHash() throws {
        let first = try Self.fast.hash(password: "same password")
        let second = try Self.fast.hash(password: "same password")
        #expect(first != second)
        #expect(Self.fast.verify(password: "same password", encoded: first))
        #expect(Self.fast.verify(password: "same password", encoded: second))
    }

    @Test func unicodePasswordsRoundTrip() throws {
        let encoded = try Self.fast.hash(password: "pässwörd 🔑 密码")
        #expect(Self.fast.verify(password: "pässwörd 🔑 密码", encoded: encoded))
        #expect(!Self.fast.verify(password: "passwörd 🔑 密码", encoded: encoded))
    }

    @Test(arguments: [
        "",
        "garbage",
        "$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
        "$argon2id$v=16$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
        "$argon2id$v=19$m=65536,t=2$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
        "$argon2id$v=19$m=4294967295,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
        "$argon2id$v=19$m=65536,t=4294967295,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
        "$argon2id$v=19$m=65536,t=0,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
        "$argon2id$v=19$m=065536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
        "$argon2id$v=19$m=-1,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
        "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ=$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
        "$argon2id$v=19$m=65536,t=2,p=1$$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
        "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$",
        "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc$extra",
        "$argon2id$v=19$p=1,t=2,m=65536$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
        "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPP",
    ])
    func verifyReturnsFalseOnMalformedEncodings(encoded: String) {
        #expect(!PasswordHasher().verify(password: "password", encoded: encoded))
        #expect(PasswordHasher().needsRehash(encoded: encoded))
    }

    @Test func verifyRefusesOverlongPasswords() throws {
        let encoded = try Self.fast.hash(password: "short")
        let long = String(repeating: "a", count: PasswordHasher.maxPasswordBytes + 1)
        #expect(!Self.fast.verify(password: long, encoded: encoded))
        #expect(throws: PasswordHasher.HashingError.invalidParameters) { try Self.fast.hash(password: long) }
    }

    @Test func needsRehashWhenParametersChange() throws {
        let encoded = try Self.fast.hash(password: "pw")
        #expect(!Self.fast.needsRehash(encoded: encoded))
        #expect(PasswordHasher().needsRehash(encoded: encoded))
        let longerTag = PasswordHasher(parameters: .init(memoryKiB: 256, iterations: 1, parallelism: 1, hashLength: 64))
        #expect(longerTag.needsRehash(encoded: encoded))
    }

    @Test func rejectsInvalidParameters() {
        let tooLittleMemory = PasswordHasher(parameters: .init(memoryKiB: 4, iterations: 1, parallelism: 1))
        #expect(throws: PasswordHasher.HashingError.invalidParameters) { try tooLittleMemory.hash(password: "pw") }
        let shortSalt = PasswordHasher(parameters: .init(memoryKiB: 256, iterations: 1, parallelism: 1, saltLength: 4))
        #expect(throws: PasswordHasher.HashingError.invalidParameters) { try shortSalt.hash(password: "pw") }
    }
}
