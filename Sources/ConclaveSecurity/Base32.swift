import Foundation

/// Base32 (RFC 4648 §6), the encoding authenticator apps expect for TOTP secrets.
public enum Base32 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    /// Encodes bytes as upper-case base32; padding with `=` is optional because otpauth URIs omit it.
    public static func encode(_ data: some DataProtocol, padding: Bool = false) -> String {
        var output = [UInt8]()
        output.reserveCapacity((data.count * 8 + 4) / 5 + 6)
        var accumulator: UInt32 = 0
        var bitCount = 0
        for byte in data {
            accumulator = (accumulator << 8) | UInt32(byte)
            bitCount += 8
            while bitCount >= 5 {
                bitCount -= 5
                output.append(alphabet[Int(accumulator >> UInt32(bitCount) & 0x1F)])
            }
            accumulator &= (1 << UInt32(bitCount)) - 1
        }
        if bitCount > 0 {
            output.append(alphabet[Int(accumulator << UInt32(5 - bitCount) & 0x1F)])
        }
        if padding {
            while output.count % 8 != 0 { output.append(UInt8(ascii: "=")) }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes base32 case-insensitively, with or without trailing `=` padding.
    ///
    /// Returns `nil` for foreign characters, misplaced padding, impossible lengths or
    /// non-zero trailing bits, so a typo in a pasted secret is reported rather than guessed at.
    public static func decode(_ string: some StringProtocol) -> Data? {
        var symbols = Array(string.utf8)
        var paddingCount = 0
        while let last = symbols.last, last == UInt8(ascii: "=") {
            symbols.removeLast()
            paddingCount += 1
        }
        if paddingCount > 0 && (symbols.count + paddingCount) % 8 != 0 { return nil }
        // Lengths 1, 3 and 6 (mod 8) leave a partial byte that no encoder produces.
        switch symbols.count % 8 {
        case 1, 3, 6: return nil
        default: break
        }
        var output = Data()
        output.reserveCapacity(symbols.count * 5 / 8)
        var accumulator: UInt32 = 0
        var bitCount = 0
        for symbol in symbols {
            guard let value = value(of: symbol) else { return nil }
            accumulator = (accumulator << 5) | UInt32(value)
            bitCount += 5
            if bitCount >= 8 {
                bitCount -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bitCount)))
                accumulator &= (1 << UInt32(bitCount)) - 1
            }
        }
        guard accumulator == 0 else { return nil }
        return output
    }

    private static func value(of symbol: UInt8) -> UInt8? {
        switch symbol {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return symbol - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return symbol - UInt8(ascii: "a")
        case UInt8(ascii: "2")...UInt8(ascii: "7"): return symbol - UInt8(ascii: "2") + 26
        default: return nil
        }
    }
}
