@testable import ConclaveServer
import ConclaveCore
import ConclaveStore
import Testing

@Suite struct BearerTokenTests {
    @Test func acceptsTheBearerSchemeInAnyCase() {
        #expect(BearerToken.parse("Bearer ck_abc") == "ck_abc")
        #expect(BearerToken.parse("bEaReR ck_abc") == "ck_abc")
        #expect(BearerToken.parse("  Bearer   ck_abc  ") == "ck_abc")
        #expect(BearerToken.parse("Bearer \tck_abc\t") == "ck_abc")
        #expect(BearerToken.parse("Bearer ck_abc\u{00A0}") == "ck_abc")
        // Only the ends are trimmed; what is inside is the verifier's business.
        #expect(BearerToken.parse("Bearer a b") == "a b")
    }

    @Test func refusesAnythingElse() {
        for header in ["", "   ", "Bearer", "Bearer ", "Bearer    ", "Bearer\tck_abc", "Basic ck_abc", "Bearerx ck_abc",
                       "Beare ck_abc", "\tBearer ck_abc", "Bearer \t ", "Token ck_abc"] {
            #expect(BearerToken.parse(header) == nil, "accepted: \(header.debugDescription)")
        }
    }

    @Test func boundsTheTokenLength() {
        let longest = String(repeating: "a", count: BearerToken.maximumLength)
        #expect(BearerToken.parse("Bearer " + longest) == longest)
        #expect(BearerToken.parse("Bearer " + longest + "a") == nil)
        // The bound is in bytes, not characters.
        #expect(BearerToken.parse("Bearer " + String(repeating: "é", count: BearerToken.maximumLength / 2 + 1)) == nil)
    }
}

@Suite struct CachedAPIKeyTests {
    static func record(owner: String = "agt_aaaaaaaaaaaa", cidrs: [String] = [], scopes: [String] = ["messages:read"]) -> APIKeyRecord {
        APIKeyRecord(
            id: "key_aaaaaaaaaaaa", ownerID: owner, workspaceID: nil, name: "k", prefix: "ck_aaaaaaaaa", scopes: scopes,
            expiresAt: nil, allowedCIDRs: cidrs, createdBy: "usr_aaaaaaaaaaaa", createdAt: 0, revokedAt: nil,
            lastUsedAt: nil, lastUsedIP: nil
        )
    }

    @Test func allowedCIDRsAreMatchedAgainstTheClientAddress() {
        let key = CachedAPIKey(record: Self.record(cidrs: ["10.0.0.0/8", "fd00::/8"]), agentStatus: .active)
        #expect(key.allows(clientIP: "10.2.3.4"))
        #expect(key.allows(clientIP: "::ffff:10.2.3.4"))
        #expect(key.allows(clientIP: "fd12::1"))
        #expect(!key.allows(clientIP: "192.168.0.1"))
        #expect(!key.allows(clientIP: "not an address"))
        #expect(CachedAPIKey(record: Self.record(), agentStatus: .active).allows(clientIP: "192.168.0.1"))
    }

    @Test func aKeyWhoseCIDRsAllFailToParseIsUsableFromNowhere() {
        let key = CachedAPIKey(record: Self.record(cidrs: ["not a cidr"]), agentStatus: .active)
        #expect(!key.allows(clientIP: "127.0.0.1"))
    }

    @Test func ownerKindAndScopesArePreparedOnce() {
        let agentKey = CachedAPIKey(record: Self.record(scopes: ["messages:read", "messages:write", "messages:read"]), agentStatus: nil)
        #expect(agentKey.isAgent)
        #expect(agentKey.scopes == [.messagesRead, .messagesWrite])
        #expect(!CachedAPIKey(record: Self.record(owner: "usr_aaaaaaaaaaaa"), agentStatus: nil).isAgent)
    }
}
