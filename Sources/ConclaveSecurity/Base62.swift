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
        String(unsafeUninitializedCapacity: width) { output in
            encode(value, into: output)
            return width
        }
    }

    /// Writes `value` as exactly `output.count` symbols, like `encode(_:width:)` but without
    /// allocating: the API-key checksum is re-encoded on every authenticated request.
    static func encode(_ value: UInt32, into output: UnsafeMutableBufferPointer<UInt8>) {
        var remaining = value
        for position in output.indices.reversed() {
            output[position] = alphabet[Int(remaining % 62)]
            remaining /= 62
        }
    }

    static func isBase62(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "a")...UInt8(ascii: "z"): true
        default: false
        }
    }
}
