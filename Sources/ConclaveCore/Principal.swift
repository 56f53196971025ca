/// Who is making a request, once authenticated.
public struct Principal: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable { case human, agent }

    public var id: String
    public var kind: Kind
    /// The login session, for humans authenticated by an access token.
    public var sessionID: String?
    /// The API key, for agents and personal keys.
    public var apiKeyID: String?
    /// Scopes of the API key; nil means "not limited by key scopes" (an access token).
    public var scopes: Set<Scope>?

    public init(id: String, kind: Kind, sessionID: String? = nil, apiKeyID: String? = nil, scopes: Set<Scope>? = nil) {
        self.id = id
        self.kind = kind
        self.sessionID = sessionID
        self.apiKeyID = apiKeyID
        self.scopes = scopes
    }
}
