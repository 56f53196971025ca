/// A `webhooks` row. `events` and `channelIDs` are JSON arrays of strings as text; the secrets
/// are sealed (`SecretBox`, base64) by the server, never stored in the clear.
public struct WebhookRecord: Sendable, Equatable, Decodable {
    public var id: String
    public var workspaceID: String
    public var url: String
    public var events: String
    public var channelIDs: String?
    public var mentionsOnly: Bool
    public var agentID: String?
    /// The creating API key's scopes as a JSON array; nil when a signed-in person created it.
    public var scopes: String?
    public var secret: String
    public var previousSecret: String?
    public var previousSecretUntil: Int64?
    public var disabled: Bool
    public var disabledReason: String?
    public var position: Int64
    public var deliveryCount: Int64
    public var createdBy: String
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(
        id: String, workspaceID: String, url: String, events: String, channelIDs: String?, mentionsOnly: Bool, agentID: String?, scopes: String?, secret: String,
        position: Int64, createdBy: String, createdAt: Int64
    ) {
        self.id = id
        self.workspaceID = workspaceID
        self.url = url
        self.events = events
        self.channelIDs = channelIDs
        self.mentionsOnly = mentionsOnly
        self.agentID = agentID
        self.scopes = scopes
        self.secret = secret
        self.previousSecret = nil
        self.previousSecretUntil = nil
        self.disabled = false
        self.disabledReason = nil
        self.position = position
        self.deliveryCount = 0
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.updatedAt = createdAt
    }
}
