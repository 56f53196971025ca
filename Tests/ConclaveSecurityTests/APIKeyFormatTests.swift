import Foundation
import Testing
@testable import ConclaveSecurity

@Suite struct APIKeyFormatTests {
    @Test func generatedKeysAreWellFormed() {
        for _ in 0..<200 {
            let generated = APIKeyFormat.generate()
            #expect(generated.key.utf8.count == 52)
            #expect(generated.key.hasPrefix("ck_"))
            #expect(generated.prefix.utf8.count == 12)
            #expect(generated.key.hasPrefix(generated.prefix))
            #expect(APIKeyFormat.isWellFormed(generated.key))
        }
    }

    @Test func rejectsAlteredKeys() {
        let key = APIKeyFormat.generate().key
        var bytes = Array(key.utf8)
        bytes[20] = bytes[20] == UInt8(ascii: "a") ? UInt8(ascii: "b") : UInt8(ascii: "a")
        #expect(!APIKeyFormat.isWellFormed(String(decoding: bytes, as: UTF8.self)))
        #expect(!APIKeyFormat.isWellFormed(String(key.dropLast())))
        #expect(!APIKeyFormat.isWellFormed(key + "0"))
        #expect(!APIKeyFormat.isWellFormed("xk_" + key.dropFirst(3)))
        #expect(!APIKeyFormat.isWellFormed(String(key.prefix(20)) + "-" + String(key.dropFirst(21))))
        #expect(!APIKeyFormat.isWellFormed(""))
    }

    @Test func base62IsFixedWidthAndCorrect() {
        #expect(Base62.encode([UInt8](repeating: 0, count: 32), width: 43) == String(repeating: "0", count: 43))
        #expect(Base62.encode([0x00, 0x3D], width: 4) == "000z")   // 61
        #expect(Base62.encode([0x00, 0x3E], width: 4) == "0010")   // 62
        #expect(Base62.encode(UInt32(3_844), width: 6) == "000100") // 62²
        // 2^256 - 1 still fits in 43 symbols.
        #expect(Base62.encode([UInt8](repeating: 0xFF, count: 32), width: 43).utf8.count == 43)
        #expect(Base62.encode(UInt32.max, width: 6) == "4gfFC3")
    }

    @Test func checksumEncodingInPlaceMatchesTheGeneralEncoder() {
        for value in [0, 61, 62, 3_844, 0xDEAD_BEEF, UInt32.max] + (0..<100).map({ _ in UInt32.random(in: 0...UInt32.max) }) {
            let inPlace = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 6) { output in
                Base62.encode(value, into: output)
                return String(decoding: output, as: UTF8.self)
            }
            #expect(inPlace == Base62.encode(withUnsafeBytes(of: value.bigEndian, Array.init), width: 6))
        }
    }

    @Test func crc32MatchesStandardCheckValue() {
        // The CRC-32/ISO-HDLC check value for "123456789".
        #expect(CRC32.checksum("123456789".utf8) == 0xCBF4_3926)
        #expect(CRC32.checksum([UInt8]()) == 0)
    }
}
