import Foundation
import Testing
import ConclaveSecurity

@Suite struct KeyedHasherTests {
    // RFC 4231 §4.8 (test case 7); the other cases use keys shorter than this type accepts.
    @Test func matchesRFC4231TestCase7WithLongKey() throws {
        let key = Data(repeating: 0xAA, count: 131)
        let hasher = try KeyedHasher(key: key)
        let message = "This is a test using a larger than block-size key and a larger than block-size data. "
            + "The key needs to be hashed before being used by the HMAC algorithm."
        #expect(hasher.hexDigest(message) == "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2")
        #expect(hasher.digest(message).count == 32)
        #expect(hasher.digest(bytes: Data(message.utf8)) == hasher.digest(message))
    }

    @Test func matchesOnlyTheRightToken() throws {
        let hasher = try KeyedHasher(key: SecureRandom.bytes(count: 32))
        let token = SecureRandom.token()
        let stored = hasher.digest(token)
        #expect(hasher.matches(token, digest: stored))
        #expect(!hasher.matches(token + "x", digest: stored))
        #expect(!hasher.matches(token, digest: stored.dropLast()))
        let other = try KeyedHasher(key: SecureRandom.bytes(count: 32))
        #expect(other.digest(token) != stored)
    }

    @Test func theInlineDigestIsTheSameMAC() throws {
        let hasher = try KeyedHasher(key: SecureRandom.bytes(count: 32))
        let token = SecureRandom.token()
        #expect(hasher.tokenDigest(token).hex == hasher.hexDigest(token))
        #expect(hasher.tokenDigest(token).hex == hasher.digest(token).map { String(format: "%02x", $0) }.joined())
        #expect(hasher.tokenDigest(token) == hasher.tokenDigest(token))
        #expect(hasher.tokenDigest(token) != hasher.tokenDigest(token + "x"))
        // One hasher is reused for every token: no state may carry over from one MAC to the next.
        let first = hasher.digest("a")
        _ = hasher.digest("b")
        #expect(hasher.digest("a") == first)
    }

    @Test func refusesShortKeys() {
        #expect(throws: KeyedHasher.KeyError.keyTooShort) { try KeyedHasher(key: Data(repeating: 1, count: 31)) }
    }

    @Test func constantTimeEquality() {
        #expect(KeyedHasher.constantTimeEquals(Data([1, 2, 3]), Data([1, 2, 3])))
        #expect(!KeyedHasher.constantTimeEquals(Data([1, 2, 3]), Data([1, 2, 4])))
        #expect(!KeyedHasher.constantTimeEquals(Data([1, 2, 3]), Data([1, 2])))
        #expect(KeyedHasher.constantTimeEquals(Data(), Data()))
        #expect(ConstantTime.equals("abc", "abc"))
        #expect(!ConstantTime.equals("abc", "abd"))
    }
}
