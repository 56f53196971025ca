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
        let values = BitRegrouping.regroup(data, from: 8, to: 6, padFinalGroup: true) ?? []
        return String(decoding: values.map { encodeTable[Int($0)] }, as: UTF8.self)
    }

    /// Decodes unpadded input; `nil` for anything that is not the canonical encoding of some bytes.
    func decode(_ string: some StringProtocol) -> Data? {
        // A single leftover symbol carries only 6 bits, never a whole byte.
        guard string.utf8.count % 4 != 1 else { return nil }
        var values: [UInt8] = []
        values.reserveCapacity(string.utf8.count)
        for symbol in string.utf8 {
            let value = decodeTable[Int(symbol)]
            guard value != 0xFF else { return nil }
            values.append(value)
        }
        return BitRegrouping.regroup(values, from: 6, to: 8, padFinalGroup: false).map { Data($0) }
    }
}
