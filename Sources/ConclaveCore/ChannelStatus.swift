/// What a principal is doing in a channel right now (contract v1.1 "Streaming replies and
/// status"): shown to the channel's members for a short while and never stored.
public enum ChannelStatusState: String, Sendable, CaseIterable, Codable {
    case typing, thinking, working
    /// Clears a status.
    case idle
}

/// A validated status change: `text` only with a state other than `idle`, at most
/// `maxTextLength` characters and no control or bidi-override characters (it is shown next to
/// the principal's name), `ttlSeconds` from 1 to `maxTTLSeconds`.
public struct ChannelStatus: Sendable, Equatable {
    public static let maxTextLength = 100
    public static let maxTTLSeconds = 120
    public static let defaultTTLSeconds = 10

    public enum Invalid: Error, Equatable {
        case text(String)
        case ttl(String)
    }

    public let state: ChannelStatusState
    public let text: String?
    public let ttlSeconds: Int

    public init(state: ChannelStatusState, text: String? = nil, ttlSeconds: Int? = nil) throws(Invalid) {
        let ttl = ttlSeconds ?? Self.defaultTTLSeconds
        guard (1...Self.maxTTLSeconds).contains(ttl) else {
            throw .ttl("must be an integer from 1 to \(Self.maxTTLSeconds) (seconds)")
        }
        if let text {
            guard state != .idle else { throw .text("must be absent when the state is idle") }
            guard text.count <= Self.maxTextLength else { throw .text("must be at most \(Self.maxTextLength) characters") }
            guard !text.unicodeScalars.contains(where: Self.isForbidden) else {
                throw .text("must not contain control, line-break or bidirectional-override characters")
            }
        }
        self.state = state
        self.text = text?.isEmpty == true ? nil : text
        self.ttlSeconds = ttl
    }

    /// One line of plain text: no C0/C1 controls (newlines included) and no bidi embedding,
    /// override or isolate characters that could make a status read as something else.
    static func isForbidden(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: true
        default: false
        }
    }
}
