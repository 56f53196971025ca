/// A named token-bucket limit: `capacity` requests, refilled evenly over `period` seconds.
///
/// `burst` lets a limit refill at one rate while allowing a larger or smaller instantaneous
/// burst (the contract's `send` limit: 120 per minute, burst 20).
public struct RateLimitRule: Sendable, Equatable {
    public var name: String
    public var limit: Int
    public var periodSeconds: Int
    public var burst: Int

    public init(name: String, limit: Int, periodSeconds: Int, burst: Int? = nil) {
        self.name = name
        self.limit = limit
        self.periodSeconds = periodSeconds
        self.burst = burst ?? limit
    }

    /// Tokens regained per second.
    public var refillPerSecond: Double { Double(limit) / Double(periodSeconds) }

    /// Principals in one workspace share a send budget on top of each one's own, so a member who
    /// creates agents does not multiply the workspace's message rate. Unless it is set on its
    /// own, it is `send` times the agents one member may create (25).
    public static func workspaceSendBudget(for send: RateLimitRule) -> RateLimitRule {
        RateLimitRule(name: "send_workspace", limit: send.limit * 25, periodSeconds: send.periodSeconds, burst: send.burst * 25)
    }
}

/// The server's set of named limits: the contract's defaults, overridden by `CONCLAVE_RATE_LIMITS`.
public struct RateLimitPolicy: Sendable, Equatable {
    public private(set) var rules: [String: RateLimitRule]

    public static let defaults = RateLimitPolicy(rules: [
        "login": RateLimitRule(name: "login", limit: 5, periodSeconds: 60),
        "mfa": RateLimitRule(name: "mfa", limit: 5, periodSeconds: 300),
        "bootstrap": RateLimitRule(name: "bootstrap", limit: 5, periodSeconds: 3600),
        "api": RateLimitRule(name: "api", limit: 600, periodSeconds: 60),
        "api_anonymous": RateLimitRule(name: "api_anonymous", limit: 100, periodSeconds: 60),
        "send": RateLimitRule(name: "send", limit: 120, periodSeconds: 60, burst: 20),
        "send_workspace": RateLimitRule.workspaceSendBudget(for: RateLimitRule(name: "send", limit: 120, periodSeconds: 60, burst: 20)),
        "ws_connect": RateLimitRule(name: "ws_connect", limit: 30, periodSeconds: 60),
        "refresh": RateLimitRule(name: "refresh", limit: 30, periodSeconds: 60),
        "signup": RateLimitRule(name: "signup", limit: 60, periodSeconds: 60),
        // Per principal: a client that shows "typing…" sends one every few seconds.
        "status": RateLimitRule(name: "status", limit: 60, periodSeconds: 60, burst: 10),
        // Per principal: appends to streamed replies (contract), apart from `send`.
        "stream": RateLimitRule(name: "stream", limit: 3000, periodSeconds: 60),
        // Per client IP: credentials refused after a database read; the contract's rate for
        // unauthenticated callers.
        "auth_failures": RateLimitRule(name: "auth_failures", limit: 100, periodSeconds: 60),
    ])

    public init(rules: [String: RateLimitRule]) {
        self.rules = rules
    }

    public subscript(name: String) -> RateLimitRule {
        rules[name] ?? RateLimitRule(name: name, limit: 60, periodSeconds: 60)
    }

    /// The largest count or burst a limit may name.
    public static let maxCount = 1_000_000

    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case malformed(String)
        case unknownName(String)
        case tooLarge(String)

        public var description: String {
            switch self {
            case .malformed(let item): "'\(item)' is not NAME=COUNT/PERIOD (for example login=5/1m or send=120/1m:20)"
            case .unknownName(let name): "unknown limit '\(name)'"
            case .tooLarge(let item): "'\(item)': COUNT and BURST must be from 1 to \(RateLimitPolicy.maxCount)"
            }
        }
    }

    /// Applies overrides written `name=COUNT/PERIOD[:BURST]`, comma-separated; PERIOD is
    /// `N` plus `s`, `m`, `h` or `d` (`1m`, `30s`, `1h`).
    public func overridden(by spec: String) throws(ParseError) -> RateLimitPolicy {
        var result = self
        var named: Set<String> = []
        for rawItem in spec.split(separator: ",") {
            let item = rawItem.trimmingSpaces
            if item.isEmpty { continue }
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw .malformed(item) }
            let name = parts[0].trimmingSpaces
            guard rules[name] != nil else { throw .unknownName(name) }
            let rateAndBurst = parts[1].split(separator: ":", maxSplits: 1).map(String.init)
            let rate = rateAndBurst[0].split(separator: "/", maxSplits: 1).map(String.init)
            guard rate.count == 2, let count = Int(rate[0].trimmingSpaces), count > 0,
                let period = Self.parsePeriod(rate[1].trimmingSpaces)
            else { throw .malformed(item) }
            guard count <= Self.maxCount else { throw .tooLarge(item) }
            var burst: Int? = nil
            if rateAndBurst.count == 2 {
                guard let value = Int(rateAndBurst[1].trimmingSpaces), value > 0 else { throw .malformed(item) }
                guard value <= Self.maxCount else { throw .tooLarge(item) }
                burst = value
            }
            result.rules[name] = RateLimitRule(name: name, limit: count, periodSeconds: period, burst: burst)
            named.insert(name)
        }
        if named.contains("send"), !named.contains("send_workspace"), let send = result.rules["send"] {
            result.rules["send_workspace"] = RateLimitRule.workspaceSendBudget(for: send)
        }
        return result
    }

    static func parsePeriod(_ text: String) -> Int? {
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        var digits = Substring(text)
        var multiplier = 1
        if let last = text.last, let unit = units[last] {
            multiplier = unit
            digits = digits.dropLast()
        }
        if digits.isEmpty { return text.isEmpty ? nil : multiplier }
        guard let value = Int(digits), value > 0, value <= 366 * 86400 else { return nil }
        return value * multiplier
    }

    /// Replaces one rule; used for settings that have their own variable (CONCLAVE_BOOTSTRAP_RATE_LIMIT).
    public mutating func set(_ rule: RateLimitRule) {
        rules[rule.name] = rule
    }
}

extension StringProtocol {
    public var trimmingSpaces: String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return String(slice)
    }
}
