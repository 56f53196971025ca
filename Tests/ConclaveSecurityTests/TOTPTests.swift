import Foundation
import Testing
import ConclaveSecurity

@Suite struct TOTPTests {
    static let sha1Secret = Data("12345678901234567890".utf8)
    static let sha256Secret = Data("12345678901234567890123456789012".utf8)
    static let sha512Secret = Data("1234567890123456789012345678901234567890123456789012345678901234".utf8)

    // RFC 6238 Appendix B (8 digits, 30 s steps).
    @Test(arguments: [
        (Int64(59), "94287082", "46119246", "90693936"),
        (1_111_111_109, "07081804", "68084774", "25091201"),
        (1_111_111_111, "14050471", "67062674", "99943326"),
        (1_234_567_890, "89005924", "91819424", "93441116"),
        (2_000_000_000, "69279037", "90698825", "38618901"),
        (20_000_000_000, "65353130", "77737706", "47863826"),
    ])
    func matchesRFC6238Vectors(time: Int64, sha1: String, sha256: String, sha512: String) {
        let date = Date(timeIntervalSince1970: TimeInterval(time))
        #expect(TOTP(digits: 8).code(secret: Self.sha1Secret, at: date) == sha1)
        #expect(TOTP(digits: 8, algorithm: .sha256).code(secret: Self.sha256Secret, at: date) == sha256)
        #expect(TOTP(digits: 8, algorithm: .sha512).code(secret: Self.sha512Secret, at: date) == sha512)
        // 6-digit codes are the last six digits of the 8-digit ones (same truncated integer).
        #expect(TOTP().code(secret: Self.sha1Secret, at: date) == String(sha1.suffix(6)))
    }

    // RFC 4226 Appendix D (HOTP is TOTP with an explicit counter).
    @Test func matchesRFC4226Vectors() {
        let expected = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"]
        for (counter, code) in expected.enumerated() {
            #expect(TOTP().code(secret: Self.sha1Secret, counter: Int64(counter)) == code)
        }
    }

    @Test func verifyReturnsMatchedCounterWithinWindow() {
        let totp = TOTP()
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let current = totp.counter(at: now)
        #expect(current == 56_666_666)
        let secret = TOTP.generateSecret()
        #expect(secret.count == 20)
        for delta in -1...1 {
            let code = totp.code(secret: secret, counter: current + Int64(delta))
            #expect(totp.verify(code: code, secret: secret, at: now, lastUsedCounter: nil) == current + Int64(delta))
        }
        let tooOld = totp.code(secret: secret, counter: current - 2)
        #expect(totp.verify(code: tooOld, secret: secret, at: now, lastUsedCounter: nil) == nil)
        #expect(totp.verify(code: tooOld, secret: secret, at: now, window: 2, lastUsedCounter: nil) == current - 2)
        #expect(totp.verify(code: totp.code(secret: secret, counter: current), secret: secret, at: now, window: 0, lastUsedCounter: nil) == current)
    }

    @Test func verifyRefusesReplayedAndOlderCounters() {
        let totp = TOTP()
        let secret = TOTP.generateSecret()
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let code = totp.code(secret: secret, at: now)
        let used = totp.verify(code: code, secret: secret, at: now, lastUsedCounter: nil)
        #expect(used != nil)
        // The same code again, even a few seconds later in the same step, is a replay.
        #expect(totp.verify(code: code, secret: secret, at: now.addingTimeInterval(5), lastUsedCounter: used) == nil)
        // A code from the previous step is also refused once a later one was used.
        let previous = totp.code(secret: secret, counter: totp.counter(at: now) - 1)
        #expect(totp.verify(code: previous, secret: secret, at: now, lastUsedCounter: used) == nil)
        // The next step's code is still accepted.
        let next = totp.code(secret: secret, counter: totp.counter(at: now) + 1)
        #expect(totp.verify(code: next, secret: secret, at: now, lastUsedCounter: used) == totp.counter(at: now) + 1)
    }

    @Test func verifyRejectsMalformedCodes() {
        let totp = TOTP()
        let now = Date(timeIntervalSince1970: 59)
        let code = totp.code(secret: Self.sha1Secret, at: now)
        #expect(code == "287082")
        #expect(totp.verify(code: "287 082", secret: Self.sha1Secret, at: now, lastUsedCounter: nil) == 1)
        for bad in ["", "28708", "2870823", "28708a", "２８７０８２", "-87082", "287082\n"] {
            #expect(totp.verify(code: bad, secret: Self.sha1Secret, at: now, lastUsedCounter: nil) == nil)
        }
        #expect(totp.verify(code: "287083", secret: Self.sha1Secret, at: now, lastUsedCounter: nil) == nil)
    }

    @Test func otpauthURIIsEncodedAndComplete() {
        let uri = TOTP().otpauthURI(secret: Self.sha1Secret, account: "alice@example.org", issuer: "Conclave & Co")
        #expect(uri == "otpauth://totp/Conclave%20%26%20Co:alice%40example.org?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
            + "&issuer=Conclave%20%26%20Co&algorithm=SHA1&digits=6&period=30")
    }

    @Test func survivesExtremeDates() {
        let totp = TOTP()
        _ = totp.code(secret: Self.sha1Secret, at: .distantFuture)
        _ = totp.code(secret: Self.sha1Secret, at: .distantPast)
        // Whatever code is entered, a non-finite time must not trap.
        _ = totp.verify(code: "000000", secret: Self.sha1Secret, at: Date(timeIntervalSince1970: .infinity), lastUsedCounter: nil)
        _ = totp.verify(code: "000000", secret: Self.sha1Secret, at: Date(timeIntervalSince1970: .nan), lastUsedCounter: nil)
    }
}
