/// Who may receive an event: every member of its workspace, the members of its channel, or one
/// principal (an `agent.paused` for the agent, a `read.updated` for the reader). Stored as text
/// in `events.visibility`: `workspace`, `channel`, `principal:<id>`.
public enum EventVisibility: Sendable, Hashable, Codable, RawRepresentable {
    case workspace
    case channel
    case principal(String)

    static let principalPrefix = "principal:"

    public init?(rawValue: String) {
        switch rawValue {
        case "workspace": self = .workspace
        case "channel": self = .channel
        default:
            guard rawValue.hasPrefix(Self.principalPrefix) else { return nil }
            let id = rawValue.dropFirst(Self.principalPrefix.count)
            guard !id.isEmpty else { return nil }
            self = .principal(String(id))
        }
    }

    public var rawValue: String {
        switch self {
        case .workspace: "workspace"
        case .channel: "channel"
        case .principal(let id): Self.principalPrefix + id
        }
    }
}
