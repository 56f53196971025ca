import Foundation

/// Strict base64 over a caller-chosen alphabet, shared by base64url and the PHC string format.
///
/// Decoding is strict on purpose: non-alphabet characters, padding, impossible lengths and
/// non-zero trailing bits are all rejected, so every byte string has exactly one accepted
/// encoding and encoded values can be compared as strings.
struct Base64Codec: Sendable {
    /// base64url (RFC 4648 §5).
    static let url = Base64Codec(alphabet: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    /// Standard base64 (RFC 4648 §4), used unpadded by the PHC string format.
    static let standard = Base64Codec(alphabet: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")

    private let encodeTable: [UInt8]
    private let decodeTable: [UInt8]  // 0xFF marks a byte outside the alphabet

    private init(alphabet: String) {
        let symbols = Array(alphabet.utf8)
        var decode = [UInt8](repeating: 0xFF, count: 256)
        for (value, symbol) in symbols.enumerated() {
            decode[Int(symbol)] = UInt8(value)
        }
        encodeTable = symbols
        decodeTable = decode
    }

    /// Encodes without padding.
    func encode(_ data: some DataProtocol) -> String {
        let bytes = Array(data)
        var output = [UInt8]()
        output.reserveCapacity((bytes.count * 4 + 2) / 3)
        var index = 0
        while index + 3 <= bytes.count {
            let chunk = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            output.append(encodeTable[Int(chunk >> 18 & 0x3F)])
            output.append(encodeTable[Int(chunk >> 12 & 0x3F)])
            output.append(encodeTable[Int(chunk >> 6 & 0x3F)])
            output.append(encodeTable[Int(chunk & 0x3F)])
            index += 3
        }
        let remaining = bytes.count - index
        if remaining == 1 {
            let chunk = UInt32(bytes[index]) << 16
            output.append(encodeTable[Int(chunk >> 18 & 0x3F)])
            output.append(encodeTable[Int(chunk >> 12 & 0x3F)])
        } else if remaining == 2 {
            let chunk = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
            output.append(encodeTable[Int(chunk >> 18 & 0x3F)])
            output.append(encodeTable[Int(chunk >> 12 & 0x3F)])
            output.append(encodeTable[Int(chunk >> 6 & 0x3F)])
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes unpadded input; `nil` for anything that is not the canonical encoding of some bytes.
    func decode(_ string: some StringProtocol) -> Data? {
        let symbols = Array(string.utf8)
        // A single leftover symbol carries only 6 bits, never a whole byte.
        guard symbols.count % 4 != 1 else { return nil }
        var output = Data()
        output.reserveCapacity(symbols.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bitCount = 0
        for symbol in symbols {
            let value = decodeTable[Int(symbol)]
            guard value != 0xFF else { return nil }
            accumulator = (accumulator << 6) | UInt32(value)
            bitCount += 6
            if bitCount >= 8 {
                bitCount -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bitCount)))
                accumulator &= (1 << UInt32(bitCount)) - 1
            }
        }
        // Leftover bits must be zero, otherwise two strings would decode to the same bytes.
        guard accumulator == 0 else { return nil }
        return output
    }
}
