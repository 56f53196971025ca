import ConclaveCore

/// A human or an agent's login account. `passwordHash` is an argon2id PHC string.
public struct UserRecord: Sendable, Equatable, Decodable {
    public var id: String
    public var kind: Principal.Kind
    public var email: String?
    public var name: String
    public var passwordHash: String?
    public var failedLogins: Int64
    public var lockedUntil: Int64?
    public var totpSecret: String?
    public var totpEnabled: Bool
    public var totpLastCounter: Int64?
    public var createdAt: Int64

    public init(id: String, kind: Principal.Kind, email: String?, name: String, passwordHash: String?, failedLogins: Int64, lockedUntil: Int64?, totpSecret: String?, totpEnabled: Bool, totpLastCounter: Int64?, createdAt: Int64) {
        self.id = id
        self.kind = kind
        self.email = email
        self.name = name
        self.passwordHash = passwordHash
        self.failedLogins = failedLogins
        self.lockedUntil = lockedUntil
        self.totpSecret = totpSecret
        self.totpEnabled = totpEnabled
        self.totpLastCounter = totpLastCounter
        self.createdAt = createdAt
    }
}

public struct WorkspaceRecord: Sendable, Equatable, Decodable {
    public static let defaultLoopBudget: Int64 = 20

    public var id: String
    public var name: String
    public var createdBy: String
    public var createdAt: Int64
    /// The most agent messages in a row a thread may hold (migration 0014).
    public var loopBudget: Int64

    public init(id: String, name: String, createdBy: String, createdAt: Int64, loopBudget: Int64 = WorkspaceRecord.defaultLoopBudget) {
        self.id = id
        self.name = name
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.loopBudget = loopBudget
    }
}

public struct MembershipRecord: Sendable, Equatable, Decodable {
    public var workspaceID: String
    public var principalID: String
    public var role: Role
    public var createdAt: Int64

    public init(workspaceID: String, principalID: String, role: Role, createdAt: Int64) {
        self.workspaceID = workspaceID
        self.principalID = principalID
        self.role = role
        self.createdAt = createdAt
    }
}

public struct SessionRecord: Sendable, Equatable, Decodable {
    public var id: String
    public var userID: String
    public var createdAt: Int64
    public var lastUsedAt: Int64
    public var expiresAt: Int64
    public var revokedAt: Int64?
    public var ip: String?
    public var userAgent: String?
    public var mfa: Bool
    /// When the session last proved the password (or a passkey with user verification): at
    /// sign-in, or by a `current_password` given later; never moved by a refresh. Nil when it
    /// never did (a passkey without user verification; sessions older than this field).
    public var authenticatedAt: Int64?

    public init(
        id: String, userID: String, createdAt: Int64, lastUsedAt: Int64, expiresAt: Int64, revokedAt: Int64?, ip: String?, userAgent: String?,
        mfa: Bool, authenticatedAt: Int64? = nil
    ) {
        self.id = id
        self.userID = userID
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.ip = ip
        self.userAgent = userAgent
        self.mfa = mfa
        self.authenticatedAt = authenticatedAt
    }

    public func isActive(at now: Int64) -> Bool { revokedAt == nil && expiresAt > now }
}

public struct InviteRecord: Sendable, Equatable, Decodable {
    public var id: String
    public var workspaceID: String
    public var role: Role
    public var maxUses: Int64
    public var uses: Int64
    public var expiresAt: Int64
    public var createdBy: String
    public var createdAt: Int64
    public var revokedAt: Int64?

    public init(id: String, workspaceID: String, role: Role, maxUses: Int64, uses: Int64, expiresAt: Int64, createdBy: String, createdAt: Int64, revokedAt: Int64?) {
        self.id = id
        self.workspaceID = workspaceID
        self.role = role
        self.maxUses = maxUses
        self.uses = uses
        self.expiresAt = expiresAt
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }

    public func isUsable(at now: Int64) -> Bool { revokedAt == nil && expiresAt > now && uses < maxUses }
}

public struct AgentRecord: Sendable, Equatable, Decodable {
    public var id: String
    public var workspaceID: String
    public var userID: String?
    public var name: String
    public var description: String
    public var status: AgentStatus
    public var createdBy: String
    public var createdAt: Int64
    public var lastSeenAt: Int64?
    /// From the agent's membership row; nil only before the agent has joined its workspace.
    public var handle: String?

    public init(
        id: String, workspaceID: String, userID: String?, name: String, description: String, status: AgentStatus, createdBy: String, createdAt: Int64,
        lastSeenAt: Int64?, handle: String? = nil
    ) {
        self.id = id
        self.workspaceID = workspaceID
        self.userID = userID
        self.name = name
        self.description = description
        self.status = status
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
        self.handle = handle
    }
}

public struct APIKeyRecord: Sendable, Equatable, Decodable {
    public var id: String
    public var ownerID: String
    public var workspaceID: String?
    public var name: String
    public var prefix: String
    @SpaceSeparated public var scopes: [String]
    public var expiresAt: Int64?
    @CommaSeparated public var allowedCIDRs: [String]
    public var createdBy: String
    public var createdAt: Int64
    public var revokedAt: Int64?
    public var lastUsedAt: Int64?
    public var lastUsedIP: String?

    public init(id: String, ownerID: String, workspaceID: String?, name: String, prefix: String, scopes: [String], expiresAt: Int64?, allowedCIDRs: [String], createdBy: String, createdAt: Int64, revokedAt: Int64?, lastUsedAt: Int64?, lastUsedIP: String?) {
        self.id = id
        self.ownerID = ownerID
        self.workspaceID = workspaceID
        self.name = name
        self.prefix = prefix
        self.scopes = scopes
        self.expiresAt = expiresAt
        self.allowedCIDRs = allowedCIDRs
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.revokedAt = revokedAt
        self.lastUsedAt = lastUsedAt
        self.lastUsedIP = lastUsedIP
    }
}

public struct ChannelRecord: Sendable, Equatable, Decodable {
    public var id: String
    public var workspaceID: String
    public var kind: ChannelKind
    public var name: String?
    public var isPrivate: Bool
    public var topic: String
    public var createdBy: String
    public var createdAt: Int64
    public var lastSeq: Int64

    public init(id: String, workspaceID: String, kind: ChannelKind, name: String?, isPrivate: Bool, topic: String, createdBy: String, createdAt: Int64, lastSeq: Int64) {
        self.id = id
        self.workspaceID = workspaceID
        self.kind = kind
        self.name = name
        self.isPrivate = isPrivate
        self.topic = topic
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.lastSeq = lastSeq
    }

    enum CodingKeys: String, CodingKey {
        case id, workspaceID, kind, name, topic, createdBy, createdAt, lastSeq
        case isPrivate = "private"
    }
}

public struct MessageRecord: Sendable, Equatable, Decodable {
    public var id: String
    public var workspaceID: String
    public var channelID: String
    public var seq: Int64
    public var senderID: String
    public var senderKind: Principal.Kind
    public var kind: MessageKind
    public var text: String?
    public var metadata: String?
    @SpaceSeparated public var mentions: [String]
    public var threadID: String?
    public var replyCount: Int64
    public var clientMsgID: String?
    public var createdAt: Int64
    public var editedAt: Int64?
    public var deletedAt: Int64?
    /// Provenance (migration 0014): the API key used, the hops and the trigger.
    public var keyID: String?
    public var hops: Int64
    public var triggerID: String?
    /// An approval request's state (migration 0017): the canonical JSON of `Approval`.
    public var approval: String?
    /// Set while the message is a reply being streamed: when the server finalizes it (migration 0018).
    public var streamingUntil: Int64?
    /// The attached files' summaries as a JSON array (migration 0019); nil without files.
    public var files: String?

    public init(id: String, workspaceID: String, channelID: String, seq: Int64, senderID: String, senderKind: Principal.Kind, kind: MessageKind, text: String?, metadata: String?, mentions: [String], threadID: String?, replyCount: Int64, clientMsgID: String?, createdAt: Int64, editedAt: Int64?, deletedAt: Int64?, keyID: String? = nil, hops: Int64 = 0, triggerID: String? = nil, approval: String? = nil, streamingUntil: Int64? = nil, files: String? = nil) {
        self.id = id
        self.workspaceID = workspaceID
        self.channelID = channelID
        self.seq = seq
        self.senderID = senderID
        self.senderKind = senderKind
        self.kind = kind
        self.text = text
        self.metadata = metadata
        self.mentions = mentions
        self.threadID = threadID
        self.replyCount = replyCount
        self.clientMsgID = clientMsgID
        self.createdAt = createdAt
        self.editedAt = editedAt
        self.deletedAt = deletedAt
        self.keyID = keyID
        self.hops = hops
        self.triggerID = triggerID
        self.approval = approval
        self.streamingUntil = streamingUntil
        self.files = files
    }

    /// The message's provenance as the API shows it.
    public var provenance: MessageProvenance {
        MessageProvenance(kind: senderKind, keyID: keyID, hops: hops, triggerID: triggerID)
    }
}
