#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's limit on open file descriptors (RLIMIT_NOFILE). Every connection holds one, so
/// the connection caps are derived from it (`ConnectionCaps`).
public struct DescriptorLimit: Sendable, Equatable {
    /// What the process may open now.
    public let soft: Int
    /// What the soft limit may be raised to without privileges.
    public let hard: Int

    /// A limit reported as unlimited is treated as this, so arithmetic on it stays sane.
    static let unlimited = 1 << 20

    public init(soft: Int, hard: Int) {
        self.soft = soft
        self.hard = hard
    }

    public static func current() -> DescriptorLimit {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return DescriptorLimit(soft: 1024, hard: 1024) }
        return DescriptorLimit(soft: clamp(limit.rlim_cur), hard: clamp(limit.rlim_max))
    }

    /// Raises the soft limit to the hard one (distributions start services at a soft 1,024 with a
    /// much higher hard limit); returns the limit in force afterwards.
    @discardableResult
    public static func raiseSoftToHard() -> DescriptorLimit {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return current() }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) != 0 {
                // An unlimited hard limit cannot always be taken literally: try a bounded one.
                limit.rlim_cur = rlim_t(unlimited)
                _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            }
        }
        return current()
    }

    static func clamp(_ value: rlim_t) -> Int {
        value > rlim_t(unlimited) ? unlimited : Int(value)
    }
}
