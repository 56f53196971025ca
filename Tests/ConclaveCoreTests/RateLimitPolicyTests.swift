import ConclaveCore
import Testing

@Suite struct RateLimitPolicyTests {
    @Test func defaultsMatchTheContract() {
        let policy = RateLimitPolicy.defaults
        #expect(policy["login"] == RateLimitRule(name: "login", limit: 5, periodSeconds: 60))
        #expect(policy["mfa"] == RateLimitRule(name: "mfa", limit: 5, periodSeconds: 300))
        #expect(policy["bootstrap"] == RateLimitRule(name: "bootstrap", limit: 5, periodSeconds: 3600))
        #expect(policy["api"] == RateLimitRule(name: "api", limit: 600, periodSeconds: 60))
        #expect(policy["api_anonymous"] == RateLimitRule(name: "api_anonymous", limit: 100, periodSeconds: 60))
        #expect(policy["send"] == RateLimitRule(name: "send", limit: 120, periodSeconds: 60, burst: 20))
        #expect(policy["ws_connect"] == RateLimitRule(name: "ws_connect", limit: 30, periodSeconds: 60))
    }

    @Test func overridesReplaceNamedLimits() throws {
        let policy = try RateLimitPolicy.defaults.overridden(by: "login=2/1m, api=1000/30s,send=60/1h:5")
        #expect(policy["login"] == RateLimitRule(name: "login", limit: 2, periodSeconds: 60))
        #expect(policy["api"] == RateLimitRule(name: "api", limit: 1000, periodSeconds: 30))
        #expect(policy["send"] == RateLimitRule(name: "send", limit: 60, periodSeconds: 3600, burst: 5))
        #expect(policy["mfa"] == RateLimitPolicy.defaults["mfa"])
    }

    @Test(arguments: ["login=abc", "login", "login=5", "login=5/", "login=0/1m", "login=5/1x", "login=-1/1m", "login=5/1m:0"])
    func malformedOverridesAreRejected(spec: String) {
        #expect(throws: RateLimitPolicy.ParseError.self) { try RateLimitPolicy.defaults.overridden(by: spec) }
    }

    @Test func countsOverTheMaximumSayTheMaximum() {
        for spec in ["login=1000001/1m", "send=10/1m:2000000"] {
            #expect(throws: RateLimitPolicy.ParseError.tooLarge(spec)) { try RateLimitPolicy.defaults.overridden(by: spec) }
            #expect(RateLimitPolicy.ParseError.tooLarge(spec).description.contains("1000000"))
        }
    }

    /// A workspace's principals share one send budget; it follows `send` unless set on its own.
    @Test func theWorkspaceSendBudgetFollowsSendUnlessSet() throws {
        #expect(RateLimitPolicy.defaults["send_workspace"] == RateLimitRule(name: "send_workspace", limit: 3000, periodSeconds: 60, burst: 500))
        let raised = try RateLimitPolicy.defaults.overridden(by: "send=1000/1m:100")
        #expect(raised["send_workspace"] == RateLimitRule(name: "send_workspace", limit: 25_000, periodSeconds: 60, burst: 2500))
        let own = try RateLimitPolicy.defaults.overridden(by: "send=1000/1m:100,send_workspace=50/1m")
        #expect(own["send_workspace"] == RateLimitRule(name: "send_workspace", limit: 50, periodSeconds: 60))
    }

    @Test func unknownNamesAreRejected() {
        #expect(throws: RateLimitPolicy.ParseError.unknownName("logins")) {
            try RateLimitPolicy.defaults.overridden(by: "logins=5/1m")
        }
    }
}
