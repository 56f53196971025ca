import ConclaveCore
@testable import ConclaveServer
import NIOCore
import Testing

@Suite struct ConnectionCapsTests {
    func configuration(_ env: [String: String] = [:]) throws -> ConclaveConfiguration {
        try ConclaveConfiguration.fromEnvironment(env.merging(["CONCLAVE_DATA_DIR": "/tmp/unused"]) { a, _ in a })
    }

    @Test func theTotalDefaultsToThreeQuartersOfTheDescriptorsAndLeavesAReserve() throws {
        let defaults = try configuration()
        #expect(ConnectionCaps.resolve(defaults, descriptorLimit: 4096).total == 3072)
        #expect(ConnectionCaps.resolve(defaults, descriptorLimit: 4096).perClient == 256)
        #expect(ConnectionCaps.resolve(defaults, descriptorLimit: 256).total == 256 - ConnectionCaps.reserve)
        #expect(ConnectionCaps.resolve(defaults, descriptorLimit: 100).total == ConnectionCaps.minimumTotal)
        #expect(!ConnectionCaps.resolve(defaults, descriptorLimit: 4096).totalWasLowered)
    }

    @Test func aConfiguredTotalIsKeptBelowTheDescriptorsAndThePerClientCapBelowTheTotal() throws {
        let asked = try configuration(["CONCLAVE_MAX_CONNECTIONS": "100000", "CONCLAVE_MAX_CONNECTIONS_PER_IP": "500000"])
        let caps = ConnectionCaps.resolve(asked, descriptorLimit: 4096)
        #expect(caps.total == 4096 - ConnectionCaps.reserve)
        #expect(caps.totalWasLowered)
        #expect(caps.perClient == caps.total)
        let modest = try configuration(["CONCLAVE_MAX_CONNECTIONS": "1000", "CONCLAVE_MAX_CONNECTIONS_PER_IP": "10"])
        #expect(ConnectionCaps.resolve(modest, descriptorLimit: 4096) == ConnectionCaps(total: 1000, perClient: 10, descriptorLimit: 4096, totalWasLowered: false))
    }

    @Test func doctorWarnsWhenTheLimitIsLowForTheCaps() throws {
        let doctor = Doctor(configuration: try configuration())
        #expect(doctor.connectionFindings(DescriptorLimit(soft: 1024, hard: 65536)).map(\.severity) == [.ok])
        #expect(doctor.connectionFindings(DescriptorLimit(soft: 1024, hard: 1024)).map(\.severity) == [.warn])
    }
}

@Suite struct ConnectionLimiterTests {
    func peer(_ ip: String) throws -> SocketAddress { try SocketAddress(ipAddress: ip, port: 40000) }

    @Test func eachClientHasItsCapAndAllShareTheTotal() throws {
        let limiter = ConnectionLimiter(caps: ConnectionCaps(total: 5, perClient: 2, descriptorLimit: 1024, totalWasLowered: false), trustedProxies: [])
        let a1 = try limiter.admit(peer: peer("10.0.0.1")).get()
        _ = try limiter.admit(peer: peer("10.0.0.1")).get()
        #expect(throws: ConnectionLimiter.Refusal.perClient) { try limiter.admit(peer: peer("10.0.0.1")).get() }
        _ = try limiter.admit(peer: peer("10.0.0.2")).get()
        _ = try limiter.admit(peer: peer("10.0.0.2")).get()
        _ = try limiter.admit(peer: peer("10.0.0.3")).get()
        #expect(throws: ConnectionLimiter.Refusal.total) { try limiter.admit(peer: peer("10.0.0.4")).get() }
        limiter.release(a1)
        #expect(limiter.openConnections == 4)
        _ = try limiter.admit(peer: peer("10.0.0.1")).get()
    }

    @Test func trustedProxiesCountAgainstTheTotalOnlyAndIPv6CountsByItsSlash64() throws {
        let limiter = ConnectionLimiter(
            caps: ConnectionCaps(total: 100, perClient: 1, descriptorLimit: 1024, totalWasLowered: false),
            trustedProxies: [try #require(CIDRBlock("10.9.0.0/16"))]
        )
        for _ in 0..<10 { _ = try limiter.admit(peer: peer("10.9.0.7")).get() }
        #expect(limiter.clientKey(try peer("2001:db8:1:2::1")) == limiter.clientKey(try peer("2001:db8:1:2:ffff::9")))
        #expect(limiter.clientKey(try peer("2001:db8:1:2::1")) != limiter.clientKey(try peer("2001:db8:1:3::1")))
        _ = try limiter.admit(peer: peer("2001:db8:1:2::1")).get()
        #expect(throws: ConnectionLimiter.Refusal.perClient) { try limiter.admit(peer: peer("2001:db8:1:2::abcd")).get() }
    }
}

@Suite struct CanonicalPathTests {
    @Test(arguments: ["/", "/health", "/api/v1/me", "/api/v1/me/", "/api/v1/invites/a%2Fb%5C/accept", "/api/v1/events?after=a//b", "http://host/api/v1/me"])
    func canonicalPathsPass(path: String) {
        #expect(CanonicalPathMiddleware.isCanonical(path))
    }

    @Test(arguments: ["//api/v1/me", "/api//v1/me", "/api/v1/me//", "/./api", "/api/../x", "/api/%2e/me", "/api/%2E%2e/me", "/a\\b", "", "api/v1/me", "http://host//api/v1/me"])
    func nonCanonicalPathsAreRefused(path: String) {
        #expect(!CanonicalPathMiddleware.isCanonical(path))
    }
}

@Suite struct MemoryReturnServiceTests {
    @Test func memoryIsReturnedOnlyOnceABurstHasEnded() {
        #expect(MemoryReturnService.burstEnded(peak: 2000, open: 10))
        #expect(MemoryReturnService.burstEnded(peak: 1000, open: 500))
        #expect(!MemoryReturnService.burstEnded(peak: 1000, open: 600))
        #expect(!MemoryReturnService.burstEnded(peak: 150, open: 0))
        #expect(!MemoryReturnService.burstEnded(peak: 0, open: 0))
        #expect(MemoryReturnService.mallocTrim != nil)
    }
}
