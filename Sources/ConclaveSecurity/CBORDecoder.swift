import Foundation

/// A strict, bounded CBOR decoder (RFC 8949) for WebAuthn attestation objects and COSE keys.
///
/// Every input comes from an untrusted client, so the decoder never trusts a declared length:
/// a byte or text string must fit in the bytes that remain, and a container's element count
/// must not exceed them either (each element takes at least one byte), so no allocation is
/// ever larger than the input. Depth and total item count are capped, arithmetic is checked,
/// and indefinite lengths and duplicate map keys are refused.
public struct CBORDecoder: Sendable {
    /// Limits applied while decoding.
    public struct Limits: Sendable {
        /// Maximum nesting depth of arrays, maps and tags.
        public var maxDepth: Int
        /// Maximum number of data items in the whole input.
        public var maxItems: Int
        /// Whether floats are decoded (`true`) or refused.
        public var allowFloats: Bool

        /// Creates limits; the defaults suit WebAuthn payloads.
        public init(maxDepth: Int = 16, maxItems: Int = 1_024, allowFloats: Bool = true) {
            self.maxDepth = maxDepth
            self.maxItems = maxItems
            self.allowFloats = allowFloats
        }
    }

    /// The limits in use.
    public let limits: Limits

    /// Creates a decoder.
    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Decodes exactly one item that must span the whole input.
    public func decode(_ data: some DataProtocol) throws(CBORDecodingError) -> CBORValue {
        let (value, consumed) = try decodePrefix(data)
        guard consumed == data.count else { throw .trailingBytes }
        return value
    }

    /// Decodes one item from the start of the input and returns it with the number of bytes it
    /// used (authenticator data puts a COSE key and then extensions back to back).
    public func decodePrefix(_ data: some DataProtocol) throws(CBORDecodingError) -> (value: CBORValue, consumed: Int) {
        var reader = Reader(bytes: Array(data), limits: limits)
        let value = try reader.readItem(depth: 0)
        return (value, reader.position)
    }

    private struct Reader {
        let bytes: [UInt8]
        let limits: Limits
        var position = 0
        var itemCount = 0

        init(bytes: [UInt8], limits: Limits) {
            self.bytes = bytes
            self.limits = limits
        }

        var remaining: Int { bytes.count - position }

        mutating func readByte() throws(CBORDecodingError) -> UInt8 {
            guard position < bytes.count else { throw .truncated }
            defer { position += 1 }
            return bytes[position]
        }

        mutating func readBytes(_ count: Int) throws(CBORDecodingError) -> ArraySlice<UInt8> {
            guard count >= 0, count <= remaining else { throw .truncated }
            defer { position += count }
            return bytes[position..<(position + count)]
        }

        mutating func readUInt(byteCount: Int) throws(CBORDecodingError) -> UInt64 {
            var value: UInt64 = 0
            for byte in try readBytes(byteCount) { value = value << 8 | UInt64(byte) }
            return value
        }

        /// Reads the argument that follows the initial byte; `nil` means indefinite length.
        mutating func readArgument(_ info: UInt8) throws(CBORDecodingError) -> UInt64? {
            switch info {
            case 0..<24: return UInt64(info)
            case 24: return try readUInt(byteCount: 1)
            case 25: return try readUInt(byteCount: 2)
            case 26: return try readUInt(byteCount: 4)
            case 27: return try readUInt(byteCount: 8)
            case 31: return nil
            default: throw .malformed
            }
        }

        /// A declared length or count, refused unless the remaining input could hold it.
        mutating func readLength(_ info: UInt8) throws(CBORDecodingError) -> Int {
            guard let argument = try readArgument(info) else { throw .indefiniteLength }
            guard argument <= UInt64(remaining) else { throw .lengthTooLarge }
            return Int(argument)
        }

        mutating func readItem(depth: Int) throws(CBORDecodingError) -> CBORValue {
            guard depth <= limits.maxDepth else { throw .tooDeep }
            itemCount += 1
            guard itemCount <= limits.maxItems else { throw .lengthTooLarge }
            let initial = try readByte()
            let major = initial >> 5
            let info = initial & 0x1F
            switch major {
            case 0:
                guard let value = try readArgument(info) else { throw .malformed }
                return .unsigned(value)
            case 1:
                guard let value = try readArgument(info) else { throw .malformed }
                return .negative(value)
            case 2:
                let length = try readLength(info)
                return .bytes(Data(try readBytes(length)))
            case 3:
                let length = try readLength(info)
                guard let text = String(validating: try readBytes(length), as: UTF8.self) else { throw .invalidUTF8 }
                return .text(text)
            case 4:
                let count = try readLength(info)
                var items: [CBORValue] = []
                items.reserveCapacity(count)
                for _ in 0..<count { items.append(try readItem(depth: depth + 1)) }
                return .array(items)
            case 5:
                // Each entry needs at least two bytes, so half the remaining input bounds the count.
                let count = try readLength(info)
                guard count <= remaining / 2 else { throw .lengthTooLarge }
                var entries: [CBORMapEntry] = []
                entries.reserveCapacity(count)
                for _ in 0..<count {
                    let key = try readItem(depth: depth + 1)
                    let value = try readItem(depth: depth + 1)
                    guard !entries.contains(where: { $0.key == key }) else { throw .duplicateMapKey }
                    entries.append(CBORMapEntry(key: key, value: value))
                }
                return .map(entries)
            case 6:
                guard let tag = try readArgument(info) else { throw .malformed }
                return .tagged(tag, try readItem(depth: depth + 1))
            default:
                return try readSimple(info)
            }
        }

        mutating func readSimple(_ info: UInt8) throws(CBORDecodingError) -> CBORValue {
            switch info {
            case 20: return .bool(false)
            case 21: return .bool(true)
            case 22: return .null
            case 23: return .undefined
            case 25, 26, 27:
                guard limits.allowFloats else { throw .floatNotAllowed }
                if info == 25 { return .float(Self.halfToDouble(UInt16(try readUInt(byteCount: 2)))) }
                if info == 26 { return .float(Double(Float(bitPattern: UInt32(try readUInt(byteCount: 4))))) }
                return .float(Double(bitPattern: try readUInt(byteCount: 8)))
            default:
                // Unassigned simple values (0–19, 24, 32–255) and the break code have no meaning here.
                throw .malformed
            }
        }

        /// IEEE 754 binary16 → Double, per RFC 8949 Appendix D.
        static func halfToDouble(_ half: UInt16) -> Double {
            let exponent = Int(half >> 10 & 0x1F)
            let mantissa = Double(half & 0x3FF)
            let magnitude: Double = switch exponent {
            case 0: mantissa * 0x1p-24
            case 31: mantissa == 0 ? .infinity : .nan
            default: (mantissa + 1024) * Double(sign: .plus, exponent: exponent - 25, significand: 1)
            }
            return half & 0x8000 != 0 ? -magnitude : magnitude
        }
    }
}
