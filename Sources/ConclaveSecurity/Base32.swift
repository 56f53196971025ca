import Foundation

/// Base32 (RFC 4648 §6), the encoding authenticator apps expect for TOTP secrets.
public enum Base32 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    /// Encodes bytes as upper-case base32; padding with `=` is optional because otpauth URIs omit it.
    public static func encode(_ data: some DataProtocol, padding: Bool = false) -> String {
        var output = (BitRegrouping.regroup(data, from: 8, to: 5, padFinalGroup: true) ?? []).map { alphabet[Int($0)] }
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
        if paddingCount > 0 && (paddingCount >= 8 || (symbols.count + paddingCount) % 8 != 0) { return nil }
        // Lengths 1, 3 and 6 (mod 8) leave a partial byte that no encoder produces.
        switch symbols.count % 8 {
        case 1, 3, 6: return nil
        default: break
        }
        var values: [UInt8] = []
        values.reserveCapacity(symbols.count)
        for symbol in symbols {
            guard let value = value(of: symbol) else { return nil }
            values.append(value)
        }
        return BitRegrouping.regroup(values, from: 5, to: 8, padFinalGroup: false).map { Data($0) }
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
