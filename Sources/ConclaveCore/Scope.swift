/// API-key scopes. A request made with a key may do only what its scopes name.
public enum Scope: String, Sendable, CaseIterable, Codable {
    case messagesRead = "messages:read"
    case messagesWrite = "messages:write"
    case channelsRead = "channels:read"
    case channelsWrite = "channels:write"
    case filesRead = "files:read"
    case filesWrite = "files:write"
    case membersRead = "members:read"
    case webhooksManage = "webhooks:manage"

    /// What `POST /api/v1/bootstrap` grants a self-provisioned agent.
    public static let bootstrap: [Scope] = [.messagesRead, .messagesWrite, .channelsRead, .channelsWrite]
}
