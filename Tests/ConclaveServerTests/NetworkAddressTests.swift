@testable import ConclaveServer
import NIOCore
import Testing

@Suite struct CIDRBlockTests {
    @Test func ipv4BlocksMatchTheirRange() throws {
        let block = try #require(CIDRBlock("10.1.0.0/16"))
        #expect(block.contains("10.1.200.3"))
        #expect(!block.contains("10.2.0.1"))
        #expect(block.contains("::ffff:10.1.0.9"))
        #expect(!block.contains("not an ip"))
    }

    @Test func ipv6BlocksMatchTheirRange() throws {
        let block = try #require(CIDRBlock("fd00::/8"))
        #expect(block.contains("fd12:3456::1"))
        #expect(!block.contains("fe80::1"))
        #expect(CIDRBlock.isLoopback("::1"))
        #expect(CIDRBlock.isLoopback("127.0.0.1"))
        #expect(!CIDRBlock.isLoopback("192.168.1.1"))
    }

    @Test(arguments: ["10.0.0.0/33", "::/129", "nonsense", "10.0.0/8", ""])
    func malformedBlocksAreRejected(text: String) {
        #expect(CIDRBlock(text) == nil)
    }
}

@Suite struct ClientAddressResolverTests {
    let peer = try! SocketAddress(ipAddress: "127.0.0.1", port: 5000)

    @Test func forwardedForIsIgnoredWithoutTrustedProxies() {
        let resolver = ClientAddressResolver(trustedProxies: [])
        #expect(resolver.clientIP(peer: peer, forwardedFor: ["203.0.113.9"]) == "127.0.0.1")
    }

    @Test func theRightmostUntrustedHopIsTheClient() {
        let resolver = ClientAddressResolver(trustedProxies: [CIDRBlock("127.0.0.1/32")!, CIDRBlock("10.0.0.0/8")!])
        #expect(resolver.clientIP(peer: peer, forwardedFor: ["198.51.100.7, 203.0.113.9, 10.0.0.2"]) == "203.0.113.9")
        #expect(resolver.clientIP(peer: peer, forwardedFor: ["203.0.113.9"]) == "203.0.113.9")
    }

    @Test func anUntrustedPeerIsTheClientWhateverItForwards() throws {
        let resolver = ClientAddressResolver(trustedProxies: [CIDRBlock("10.0.0.0/8")!])
        let outsider = try SocketAddress(ipAddress: "198.51.100.1", port: 1)
        #expect(resolver.clientIP(peer: outsider, forwardedFor: ["1.2.3.4"]) == "198.51.100.1")
    }

    @Test func garbageInForwardedForFallsBackToThePeer() {
        let resolver = ClientAddressResolver(trustedProxies: [CIDRBlock("127.0.0.1/32")!])
        #expect(resolver.clientIP(peer: peer, forwardedFor: ["<script>"]) == "127.0.0.1")
    }
}
