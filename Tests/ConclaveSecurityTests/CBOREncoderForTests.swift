import ConclaveSecurity
import Foundation

/// A deliberately tiny CBOR encoder so tests can build and re-shape attestation objects.
enum CBOREncoderForTests {
    static func encode(_ value: CBORValue) -> Data {
        switch value {
        case .unsigned(let number): return head(0, number)
        case .negative(let number): return head(1, number)
        case .bytes(let data): return head(2, UInt64(data.count)) + data
        case .text(let text): return head(3, UInt64(text.utf8.count)) + Data(text.utf8)
        case .array(let items): return items.reduce(head(4, UInt64(items.count))) { $0 + encode($1) }
        case .map(let entries): return entries.reduce(head(5, UInt64(entries.count))) { $0 + encode($1.key) + encode($1.value) }
        case .tagged(let tag, let inner): return head(6, tag) + encode(inner)
        case .bool(let flag): return Data([flag ? 0xF5 : 0xF4])
        case .null: return Data([0xF6])
        case .undefined: return Data([0xF7])
        case .float(let number): return Data([0xFB]) + withUnsafeBytes(of: number.bitPattern.bigEndian) { Data($0) }
        }
    }

    static func head(_ major: UInt8, _ argument: UInt64) -> Data {
        let type = major << 5
        switch argument {
        case 0..<24: return Data([type | UInt8(argument)])
        case 24..<256: return Data([type | 24, UInt8(argument)])
        case 256..<65_536: return Data([type | 25]) + withUnsafeBytes(of: UInt16(argument).bigEndian) { Data($0) }
        case 65_536..<4_294_967_296: return Data([type | 26]) + withUnsafeBytes(of: UInt32(argument).bigEndian) { Data($0) }
        default: return Data([type | 27]) + withUnsafeBytes(of: argument.bigEndian) { Data($0) }
        }
    }

    /// Returns `map` with the entry for `key` replaced (or removed when `value` is nil).
    static func replacing(_ key: CBORValue, with value: CBORValue?, in map: CBORValue) -> CBORValue {
        var entries = (map.mapValue ?? []).filter { $0.key != key }
        if let value { entries.append(CBORMapEntry(key: key, value: value)) }
        return .map(entries)
    }
}
