#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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

    /// Parses an IPv4 or IPv6 literal into 16 bytes (IPv4 as IPv4-mapped IPv6).
    static func parseAddress(_ text: String) -> [UInt8]? {
        var literal = text
        if literal.hasPrefix("["), literal.hasSuffix("]") { literal = String(literal.dropFirst().dropLast()) }
        if let zone = literal.firstIndex(of: "%") { literal = String(literal[..<zone]) }
        var v4 = in_addr()
        if inet_pton(AF_INET, literal, &v4) == 1 {
            let value = UInt32(bigEndian: v4.s_addr)
            return [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF,
                    UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, literal, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
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
