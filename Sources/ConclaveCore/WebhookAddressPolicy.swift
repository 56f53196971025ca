/// Which IP addresses a webhook delivery may connect to (SSRF defence). A pure function of the
/// address bytes, applied to the one address a delivery attempt resolved and will connect to, so a
/// name that resolves elsewhere on the next lookup (DNS rebinding) changes nothing for this attempt.
///
/// Refused: "this network" 0/8, private 10/8, 172.16/12, 192.168/16, CGNAT 100.64/10, loopback
/// 127/8, link-local 169.254/16 (cloud metadata at 169.254.169.254), IETF protocol 192.0.0/24,
/// documentation and benchmark ranges, multicast, reserved 240/4 and broadcast; in IPv6 the
/// unspecified and loopback addresses, unique-local fc00::/7, link-local fe80::/10, site-local
/// fec0::/10, multicast ff00::/8, documentation 2001:db8::/32, and any IPv4 address embedded in
/// IPv6 (IPv4-mapped ::ffff:0:0/96, IPv4-compatible ::/96, NAT64 64:ff9b::/96 and 64:ff9b:1::/48,
/// 6to4 2002::/16) is judged as that IPv4 address.
public enum WebhookAddressPolicy {
    /// Why `bytes` (4 for IPv4, 16 for IPv6) may not be connected to; nil when it may.
    public static func refusal(_ bytes: [UInt8]) -> String? {
        switch bytes.count {
        case 4: return refusalIPv4(bytes)
        case 16: return refusalIPv6(bytes)
        default: return "not an IP address"
        }
    }

    static func refusalIPv4(_ b: [UInt8]) -> String? {
        let (a, second, third) = (b[0], b[1], b[2])
        switch a {
        case 0: return "this-network address (0.0.0.0/8)"
        case 10: return "private address (10.0.0.0/8)"
        case 127: return "loopback address (127.0.0.0/8)"
        case 100 where (64...127).contains(second): return "shared address space (100.64.0.0/10, CGNAT)"
        case 169 where second == 254: return "link-local address (169.254.0.0/16, cloud metadata)"
        case 172 where (16...31).contains(second): return "private address (172.16.0.0/12)"
        case 192 where second == 168: return "private address (192.168.0.0/16)"
        case 192 where second == 0 && third == 0: return "IETF protocol assignment (192.0.0.0/24)"
        case 192 where second == 0 && third == 2: return "documentation address (192.0.2.0/24)"
        case 198 where second == 18 || second == 19: return "benchmarking address (198.18.0.0/15)"
        case 198 where second == 51 && third == 100: return "documentation address (198.51.100.0/24)"
        case 203 where second == 0 && third == 113: return "documentation address (203.0.113.0/24)"
        case 224...239: return "multicast address (224.0.0.0/4)"
        case 240...255: return "reserved or broadcast address (240.0.0.0/4)"
        default: return nil
        }
    }

    static func refusalIPv6(_ b: [UInt8]) -> String? {
        let prefix12 = b[0..<12]
        if prefix12.allSatisfy({ $0 == 0 }) {
            // ::, ::1 and IPv4-compatible ::a.b.c.d
            if b[12...].allSatisfy({ $0 == 0 }) { return "unspecified address (::)" }
            if b[12..<15].allSatisfy({ $0 == 0 }), b[15] == 1 { return "loopback address (::1)" }
            return refusalIPv4(Array(b[12..<16])).map { "IPv4-compatible IPv6 embedding a \($0)" } ?? "IPv4-compatible IPv6 address (::/96)"
        }
        if b[0..<10].allSatisfy({ $0 == 0 }), b[10] == 0xff, b[11] == 0xff {
            return refusalIPv4(Array(b[12..<16])).map { "IPv4-mapped IPv6 embedding a \($0)" }
        }
        if b[0] == 0x00, b[1] == 0x64, b[2] == 0xff, b[3] == 0x9b {
            // NAT64: 64:ff9b::/96 (well-known) and 64:ff9b:1::/48 (local use) embed the IPv4 target last.
            if b[4..<12].allSatisfy({ $0 == 0 }) {
                return refusalIPv4(Array(b[12..<16])).map { "NAT64 address embedding a \($0)" }
            }
            if b[4] == 0x00, b[5] == 0x01 { return "local-use NAT64 address (64:ff9b:1::/48)" }
        }
        if b[0] == 0x20, b[1] == 0x02 {
            return refusalIPv4(Array(b[2..<6])).map { "6to4 address embedding a \($0)" }
        }
        if b[0] & 0xfe == 0xfc { return "unique-local address (fc00::/7)" }
        if b[0] == 0xfe, b[1] & 0xc0 == 0x80 { return "link-local address (fe80::/10)" }
        if b[0] == 0xfe, b[1] & 0xc0 == 0xc0 { return "site-local address (fec0::/10)" }
        if b[0] == 0xff { return "multicast address (ff00::/8)" }
        if b[0] == 0x20, b[1] == 0x01, b[2] == 0x0d, b[3] == 0xb8 { return "documentation address (2001:db8::/32)" }
        if b[0] == 0x01, b[1..<8].allSatisfy({ $0 == 0 }) { return "discard-only address (100::/64)" }
        return nil
    }
}
