import ConclaveSecurity
import Foundation
import Testing

@Suite struct SegmentedFileCipherTests {
    let key = SegmentedFileCipher.generateKey()
    let size = SegmentedFileCipher.segmentSize

    func plaintext(_ count: Int) -> Data { Data((0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }) }

    @Test(arguments: [0, 1, 1000, 64 * 1024, 64 * 1024 + 1, 3 * 64 * 1024 + 5])
    func roundTrips(count: Int) throws {
        let data = plaintext(count)
        let stored = try SegmentedFileCipher(key: key).sealAll(data)
        let segments = max(1, (count + size - 1) / size)
        #expect(stored.count == SegmentedFileCipher.headerLength + count + segments * SegmentedFileCipher.tagLength)
        #expect(try SegmentedFileCipher.openAll(stored, key: key) == data)
    }

    @Test func plaintextDoesNotAppearInTheStoredForm() throws {
        let marker = Data("DISTINCTIVE-MARKER-0123456789".utf8)
        let stored = try SegmentedFileCipher(key: key).sealAll(marker + marker)
        #expect(stored.range(of: marker) == nil)
    }

    @Test func tamperedByteFails() throws {
        var stored = try SegmentedFileCipher(key: key).sealAll(plaintext(2 * size + 10))
        stored[SegmentedFileCipher.headerLength + size + 3] ^= 1
        #expect(throws: SegmentedFileCipher.CipherError.authenticationFailed) { try SegmentedFileCipher.openAll(stored, key: key) }
    }

    @Test func truncationAtASegmentBoundaryFails() throws {
        let stored = try SegmentedFileCipher(key: key).sealAll(plaintext(2 * size + 10))
        let cut = stored.prefix(SegmentedFileCipher.headerLength + 2 * SegmentedFileCipher.sealedSegmentSize)
        #expect(throws: SegmentedFileCipher.CipherError.authenticationFailed) { try SegmentedFileCipher.openAll(cut, key: key) }
        let one = stored.prefix(SegmentedFileCipher.headerLength + SegmentedFileCipher.sealedSegmentSize)
        #expect(throws: SegmentedFileCipher.CipherError.authenticationFailed) { try SegmentedFileCipher.openAll(one, key: key) }
    }

    @Test func reorderedSegmentsFail() throws {
        let stored = try SegmentedFileCipher(key: key).sealAll(plaintext(3 * size))
        let header = stored.prefix(SegmentedFileCipher.headerLength)
        let body = stored.dropFirst(SegmentedFileCipher.headerLength)
        let sealed = SegmentedFileCipher.sealedSegmentSize
        let first = body.prefix(sealed), second = body.dropFirst(sealed).prefix(sealed), third = body.dropFirst(2 * sealed)
        #expect(throws: SegmentedFileCipher.CipherError.authenticationFailed) {
            try SegmentedFileCipher.openAll(header + second + first + third, key: key)
        }
    }

    @Test func wrongKeyFails() throws {
        let stored = try SegmentedFileCipher(key: key).sealAll(plaintext(100))
        #expect(throws: SegmentedFileCipher.CipherError.authenticationFailed) {
            try SegmentedFileCipher.openAll(stored, key: SegmentedFileCipher.generateKey())
        }
    }

    @Test func shortKeyIsRefused() {
        #expect(throws: SegmentedFileCipher.CipherError.invalidKey) { try SegmentedFileCipher(key: Data(count: 16)) }
    }
}
