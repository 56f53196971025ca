/// A named channel (public or private), or a direct message between fixed members.
public enum ChannelKind: String, Sendable, Codable, CaseIterable {
    case channel
    case dm
}
