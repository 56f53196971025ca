import Foundation

/// An IPv4 or IPv6 network such as `10.0.0.0/8` or `::1/128`. IPv4 addresses are compared in
/// their IPv4-mapped IPv6 form, so `127.0.0.1/32` also matches `::ffff:127.0.0.1`.
public struct CIDRBlock: Sendable, Equatable, CustomStringConvertible {
    let network: [UInt8]
    let prefixLength: Int
    public let description: String

    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard !parts.isEmpty, let address = CIDRBlock.parseAddress(parts[0]) else { return nil }
        let isV4 = !parts[0].contains(":")
        let maxPrefix = isV4 ? 32 : 128
        var prefix = maxPrefix
        if parts.count == 2 {
            guard let value = Int(parts[1]), (0...maxPrefix).contains(value) else { return nil }
            prefix = value
        }
        self.prefixLength = isV4 ? prefix + 96 : prefix
        self.network = CIDRBlock.mask(address, prefix: self.prefixLength)
        self.description = text
    }

    public func contains(_ address: String) -> Bool {
        guard let bytes = CIDRBlock.parseAddress(address) else { return false }
        return CIDRBlock.mask(bytes, prefix: prefixLength) == network
    }

    /// Parses an IPv4 or IPv6 literal into 16 bytes (IPv4 as IPv4-mapped IPv6). Pure Swift, so
    /// it behaves the same on every platform and never touches C structs.
    static func parseAddress(_ text: String) -> [UInt8]? {
        var literal = Substring(text)
        if literal.hasPrefix("["), literal.hasSuffix("]") { literal = literal.dropFirst().dropLast() }
        if let zone = literal.firstIndex(of: "%") { literal = literal[..<zone] }
        guard !literal.isEmpty, literal.count <= 45 else { return nil }
        if !literal.contains(":") {
            guard let v4 = parseIPv4(literal) else { return nil }
            return [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] + v4
        }
        return parseIPv6(literal)
    }

    static func parseIPv4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy(\.isASCIIDigit), let value = UInt8(part) else { return nil }
            bytes.append(value)
        }
        return bytes
    }

    static func parseIPv6(_ text: Substring) -> [UInt8]? {
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt8]? {
            if part.isEmpty { return [] }
            var bytes: [UInt8] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if index == pieces.count - 1, piece.contains(".") {
                    guard let v4 = parseIPv4(piece) else { return nil }
                    bytes += v4
                } else {
                    guard (1...4).contains(piece.count), piece.allSatisfy(\.isHexDigit), let value = UInt16(piece, radix: 16) else { return nil }
                    bytes += [UInt8(value >> 8), UInt8(value & 0xFF)]
                }
            }
            return bytes
        }
        guard let head = groups(halves[0]) else { return nil }
        if halves.count == 1 { return head.count == 16 ? head : nil }
        guard let tail = groups(halves[1]), head.count + tail.count <= 14 else { return nil }
        return head + [UInt8](repeating: 0, count: 16 - head.count - tail.count) + tail
    }

    static func mask(_ bytes: [UInt8], prefix: Int) -> [UInt8] {
        var out = bytes
        for index in 0..<16 {
            let bitsKept = max(0, min(8, prefix - index * 8))
            out[index] &= bitsKept == 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - bitsKept))
        }
        return out
    }

    public static func isLoopback(_ address: String) -> Bool {
        loopbackBlocks.contains { $0.contains(address) }
    }

    static let loopbackBlocks = [CIDRBlock("127.0.0.0/8")!, CIDRBlock("::1/128")!]
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
