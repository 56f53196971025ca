/// Fixed-width base62 (`0-9A-Za-z`) for API keys: alphanumeric so a double-click selects the
/// whole key and no URL or shell escaping is ever needed.
enum Base62 {
    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// Encodes a big-endian unsigned number as exactly `width` symbols, left-padded with '0'.
    /// The caller picks a width large enough (62^43 > 2^256 for 32 bytes).
    static func encode(_ bytes: some Sequence<UInt8>, width: Int) -> String {
        var number = Array(bytes)
        var symbols = [UInt8](repeating: alphabet[0], count: width)
        var position = width - 1
        // Schoolbook long division by 62, one output symbol per pass.
        while position >= 0, number.contains(where: { $0 != 0 }) {
            var remainder: UInt32 = 0
            for index in number.indices {
                let accumulator = remainder << 8 | UInt32(number[index])
                number[index] = UInt8(accumulator / 62)
                remainder = accumulator % 62
            }
            symbols[position] = alphabet[Int(remainder)]
            position -= 1
        }
        return String(decoding: symbols, as: UTF8.self)
    }

    static func encode(_ value: UInt32, width: Int) -> String {
        withUnsafeBytes(of: value.bigEndian) { encode($0, width: width) }
    }

    static func isBase62(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "a")...UInt8(ascii: "z"): true
        default: false
        }
    }
}
