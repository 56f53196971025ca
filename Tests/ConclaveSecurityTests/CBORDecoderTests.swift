import Foundation
import Testing
import ConclaveSecurity

@Suite struct CBORDecoderTests {
    let decoder = CBORDecoder()

    // RFC 8949 Appendix A examples (definite-length ones).
    @Test(arguments: [
        ("00", CBORValue.unsigned(0)),
        ("17", .unsigned(23)),
        ("1818", .unsigned(24)),
        ("190100", .unsigned(256)),
        ("1a000f4240", .unsigned(1_000_000)),
        ("1b000000e8d4a51000", .unsigned(1_000_000_000_000)),
        ("1bffffffffffffffff", .unsigned(UInt64.max)),
        ("20", .negative(0)),
        ("3863", .negative(99)),
        ("3bffffffffffffffff", .negative(UInt64.max)),
        ("f90000", .float(0.0)),
        ("f93c00", .float(1.0)),
        ("f97bff", .float(65_504.0)),
        ("f90001", .float(5.960464477539063e-8)),
        ("f9c400", .float(-4.0)),
        ("fa47c35000", .float(100_000.0)),
        ("fb3ff199999999999a", .float(1.1)),
        ("f97c00", .float(.infinity)),
        ("f4", .bool(false)),
        ("f5", .bool(true)),
        ("f6", .null),
        ("f7", .undefined),
        ("40", .bytes(Data())),
        ("4401020304", .bytes(Data([1, 2, 3, 4]))),
        ("60", .text("")),
        ("6161", .text("a")),
        ("62225c", .text("\"\\")),
        ("63e6b0b4", .text("水")),
        ("64f0908591", .text("𐅑")),
        ("80", .array([])),
        ("83010203", .array([.unsigned(1), .unsigned(2), .unsigned(3)])),
        ("8301820203820405", .array([.unsigned(1), .array([.unsigned(2), .unsigned(3)]), .array([.unsigned(4), .unsigned(5)])])),
        ("a0", .map([])),
        ("a201020304", .map([.init(key: .unsigned(1), value: .unsigned(2)), .init(key: .unsigned(3), value: .unsigned(4))])),
        ("a26161016162820203", .map([
            .init(key: .text("a"), value: .unsigned(1)),
            .init(key: .text("b"), value: .array([.unsigned(2), .unsigned(3)])),
        ])),
        ("c074323031332d30332d32315432303a30343a30305a", .tagged(0, .text("2013-03-21T20:04:00Z"))),
        ("d74401020304", .tagged(23, .bytes(Data([1, 2, 3, 4])))),
    ])
    func decodesRFC8949Examples(hex: String, expected: CBORValue) throws {
        #expect(try decoder.decode(Data(hex: hex)) == expected)
    }

    @Test func decodesNaN() throws {
        guard case .float(let value) = try decoder.decode(Data(hex: "f97e00")) else {
            Issue.record("not a float")
            return
        }
        #expect(value.isNaN)
    }

    @Test func accessorsReadCOSEStyleMaps() throws {
        let key = try decoder.decode(Data(hex: "a40102032620012158200000000000000000000000000000000000000000000000000000000000000000"))
        #expect(key[intKey: 1]?.int64Value == 2)
        #expect(key[intKey: 3]?.int64Value == -7)
        #expect(key[intKey: -1]?.int64Value == 1)
        #expect(key[intKey: 99] == nil)
        #expect(CBORValue.negative(UInt64.max).int64Value == nil)
        #expect(CBORValue.unsigned(UInt64.max).int64Value == nil)
    }

    @Test(arguments: [
        ("", CBORDecodingError.truncated),
        ("18", .truncated),
        ("1a0000", .truncated),
        ("4401", .lengthTooLarge),
        ("5affffffff", .lengthTooLarge),
        ("9bffffffffffffffff", .lengthTooLarge),
        ("bb7fffffffffffffff", .lengthTooLarge),
        ("a10102a1", .trailingBytes),
        ("0000", .trailingBytes),
        ("5f42010243030405ff", .indefiniteLength),
        ("9f018202039f0405ffff", .indefiniteLength),
        ("bf61610161629f0203ffff", .indefiniteLength),
        ("1c", .malformed),
        ("ff", .malformed),
        ("f800", .malformed),
        ("f0", .malformed),
        ("62c328", .invalidUTF8),
        ("a201020103", .duplicateMapKey),
    ])
    func rejectsMalformedInput(hex: String, expected: CBORDecodingError) {
        #expect(throws: expected) { try decoder.decode(Data(hex: hex)) }
    }

    @Test func enforcesDepthLimit() throws {
        let ok = Data(repeating: 0x81, count: 16) + Data([0x00])
        #expect(throws: Never.self) { try decoder.decode(ok) }
        let deep = Data(repeating: 0x81, count: 17) + Data([0x00])
        #expect(throws: CBORDecodingError.tooDeep) { try decoder.decode(deep) }
        let veryDeep = Data(repeating: 0xD8, count: 100_000)   // nested tags, never recursing past the limit
        #expect(throws: CBORDecodingError.tooDeep) { try decoder.decode(veryDeep) }
    }

    @Test func enforcesItemLimitAndFloatPolicy() {
        let manyItems = Data([0x99, 0x07, 0xD0]) + Data(repeating: 0x00, count: 2_000)
        #expect(throws: CBORDecodingError.lengthTooLarge) {
            try CBORDecoder(limits: .init(maxItems: 1_000)).decode(manyItems)
        }
        #expect(throws: CBORDecodingError.floatNotAllowed) {
            try CBORDecoder(limits: .init(allowFloats: false)).decode(Data(hex: "f93c00"))
        }
    }

    @Test func decodePrefixReportsConsumedBytes() throws {
        let (value, consumed) = try decoder.decodePrefix(Data(hex: "8201020304"))
        #expect(value == .array([.unsigned(1), .unsigned(2)]))
        #expect(consumed == 3)
    }

    /// Random, truncated and bit-flipped inputs must only ever return or throw.
    @Test func survivesFuzzing() throws {
        var generator = SeededGenerator(seed: 0xC0FFEE)
        var seeds = [
            Data(hex: WebAuthnTestVector.noneES256.attestationObject),
            Data(hex: WebAuthnTestVector.packedES256.attestationObject),
            Data(hex: WebAuthnTestVector.packedRS256.attestationObject),
            Data(hex: "8301820203820405"),
            Data(hex: "a26161016162820203"),
        ]
        for _ in 0..<3_000 {
            let length = Int.random(in: 0..<64, using: &generator)
            seeds.append(Data((0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }))
        }
        var outcomes = 0
        for seed in seeds {
            for candidate in [seed, seed.prefix(Int.random(in: 0...seed.count, using: &generator)), Self.flipBit(seed, &generator)] {
                _ = try? decoder.decode(candidate)
                _ = try? decoder.decodePrefix(candidate)
                outcomes += 1
            }
        }
        // Every truncation of a real attestation object is handled too.
        let attestation = Data(hex: WebAuthnTestVector.packedES256.attestationObject)
        for end in 0..<attestation.count {
            #expect(throws: CBORDecodingError.self) { try decoder.decode(attestation.prefix(end)) }
        }
        #expect(outcomes == seeds.count * 3)
    }

    static func flipBit(_ data: Data, _ generator: inout SeededGenerator) -> Data {
        guard !data.isEmpty else { return data }
        var copy = data
        let index = Int.random(in: 0..<copy.count, using: &generator)
        copy[index] ^= 1 << UInt8.random(in: 0..<8, using: &generator)
        return copy
    }
}
