import ConclaveCore
import Foundation
import Testing

/// The SSRF address policy: every range a webhook must never reach, in IPv4 and IPv6 (with IPv4
/// embedded in IPv6 judged as the IPv4 address), and ordinary public addresses allowed.
@Suite struct WebhookAddressPolicyTests {
    static func v4(_ text: String) -> [UInt8] { text.split(separator: ".").map { UInt8($0)! } }

    /// A fully written IPv6 address (eight groups) as its 16 bytes.
    static func v6(_ groups: [UInt16]) -> [UInt8] { groups.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] } }

    @Test(arguments: [
        "0.0.0.0", "0.1.2.3", "10.0.0.1", "10.255.255.255", "127.0.0.1", "127.1.2.3", "100.64.0.1", "100.127.255.254",
        "169.254.169.254", "169.254.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1", "192.0.0.8", "192.0.2.1",
        "198.18.0.1", "198.51.100.7", "203.0.113.9", "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
    ])
    func refusesPrivateAndSpecialIPv4(_ address: String) {
        #expect(WebhookAddressPolicy.refusal(Self.v4(address)) != nil, "\(address) allowed")
    }

    @Test(arguments: ["8.8.8.8", "1.1.1.1", "93.184.216.34", "100.63.255.255", "100.128.0.1", "172.15.255.255", "172.32.0.1", "192.169.0.1"])
    func allowsPublicIPv4(_ address: String) {
        #expect(WebhookAddressPolicy.refusal(Self.v4(address)) == nil, "\(address) refused")
    }

    @Test func refusesSpecialIPv6() {
        let refused: [(String, [UInt16])] = [
            ("::", [0, 0, 0, 0, 0, 0, 0, 0]),
            ("::1", [0, 0, 0, 0, 0, 0, 0, 1]),
            ("::ffff:127.0.0.1", [0, 0, 0, 0, 0, 0xffff, 0x7f00, 0x0001]),
            ("::ffff:169.254.169.254", [0, 0, 0, 0, 0, 0xffff, 0xa9fe, 0xa9fe]),
            ("::ffff:10.0.0.1", [0, 0, 0, 0, 0, 0xffff, 0x0a00, 0x0001]),
            ("::127.0.0.1 (compatible)", [0, 0, 0, 0, 0, 0, 0x7f00, 0x0001]),
            ("64:ff9b::192.168.0.1 (NAT64)", [0x64, 0xff9b, 0, 0, 0, 0, 0xc0a8, 0x0001]),
            ("64:ff9b:1::1 (local NAT64)", [0x64, 0xff9b, 1, 0, 0, 0, 0, 1]),
            ("2002:7f00:1:: (6to4 of loopback)", [0x2002, 0x7f00, 0x0001, 0, 0, 0, 0, 0]),
            ("fc00::1", [0xfc00, 0, 0, 0, 0, 0, 0, 1]),
            ("fd12:3456::1", [0xfd12, 0x3456, 0, 0, 0, 0, 0, 1]),
            ("fe80::1", [0xfe80, 0, 0, 0, 0, 0, 0, 1]),
            ("febf::1", [0xfebf, 0, 0, 0, 0, 0, 0, 1]),
            ("fec0::1", [0xfec0, 0, 0, 0, 0, 0, 0, 1]),
            ("ff02::1", [0xff02, 0, 0, 0, 0, 0, 0, 1]),
            ("2001:db8::1", [0x2001, 0x0db8, 0, 0, 0, 0, 0, 1]),
            ("100::1", [0x0100, 0, 0, 0, 0, 0, 0, 1]),
        ]
        for (name, groups) in refused {
            #expect(WebhookAddressPolicy.refusal(Self.v6(groups)) != nil, "\(name) allowed")
        }
    }

    @Test func allowsPublicIPv6AndPublicEmbeddedIPv4() {
        let allowed: [(String, [UInt16])] = [
            ("2606:4700:4700::1111", [0x2606, 0x4700, 0x4700, 0, 0, 0, 0, 0x1111]),
            ("2a00:1450::1", [0x2a00, 0x1450, 0, 0, 0, 0, 0, 1]),
            ("::ffff:8.8.8.8", [0, 0, 0, 0, 0, 0xffff, 0x0808, 0x0808]),
            ("64:ff9b::8.8.8.8", [0x64, 0xff9b, 0, 0, 0, 0, 0x0808, 0x0808]),
        ]
        for (name, groups) in allowed {
            #expect(WebhookAddressPolicy.refusal(Self.v6(groups)) == nil, "\(name) refused")
        }
        #expect(WebhookAddressPolicy.refusal([1, 2, 3]) != nil, "a malformed address is allowed")
    }
}
