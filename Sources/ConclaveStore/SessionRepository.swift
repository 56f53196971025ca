import SQLKit

/// Login sessions and their rotating refresh tokens (stored as keyed hashes only).
public struct SessionRepository: Sendable {
    public init() {}

    public func insert(_ session: SessionRecord, refreshTokenHash: String, on db: DatabaseSession) async throws {
        try await db.raw(
            """
            INSERT INTO sessions (id, user_id, created_at, last_used_at, expires_at, revoked_at, revoked_reason, ip, user_agent, mfa,
                                  authenticated_at)
            VALUES (\(bind: session.id), \(bind: session.userID), \(bind: session.createdAt), \(bind: session.lastUsedAt),
                    \(bind: session.expiresAt), NULL, NULL, \(bind: session.ip), \(bind: session.userAgent), \(bind: session.mfa ? 1 : 0),
                    \(bind: session.authenticatedAt))
            """
        ).run()
        try await insertRefreshToken(hash: refreshTokenHash, sessionID: session.id, now: session.createdAt, on: db)
    }

    public func insertRefreshToken(hash: String, sessionID: String, now: Int64, on db: DatabaseSession) async throws {
        try await db.raw(
            "INSERT INTO refresh_tokens (token_hash, session_id, created_at, used_at) VALUES (\(bind: hash), \(bind: sessionID), \(bind: now), NULL)"
        ).run()
    }

    public func find(id: String, on db: DatabaseSession) async throws -> SessionRecord? {
        try await db.raw("SELECT * FROM sessions WHERE id = \(bind: id)").firstRecord(SessionRecord.self)
    }

    public enum RefreshLookup: Sendable {
        case unknown
        /// The token was already exchanged once: whoever presents it now may hold a stolen copy.
        case reused(sessionID: String)
        case valid(SessionRecord)
    }

    /// Marks the token spent in the same statement that checks it, so two concurrent refreshes with
    /// one token cannot both succeed. The spend comes first: on PostgreSQL a concurrent spend
    /// waits for the first one's commit, and the read after it then sees that spend (and the
    /// successor it inserted).
    public func spendRefreshToken(hash: String, now: Int64, on db: DatabaseSession) async throws -> RefreshLookup {
        let spent = try await db.raw(
            "UPDATE refresh_tokens SET used_at = \(bind: now) WHERE token_hash = \(bind: hash) AND used_at IS NULL RETURNING session_id"
        ).first(decodingColumn: "session_id", as: String.self)
        if let spent {
            guard let session = try await find(id: spent, on: db) else { return .unknown }
            return .valid(session)
        }
        guard let sessionID = try await db.raw("SELECT session_id FROM refresh_tokens WHERE token_hash = \(bind: hash)")
            .first(decodingColumn: "session_id", as: String.self)
        else { return .unknown }
        return .reused(sessionID: sessionID)
    }

    /// The session proved the password (or a passkey with user verification) again, now.
    public func recordSignInProof(id: String, at now: Int64, on db: DatabaseSession) async throws {
        try await db.raw("UPDATE sessions SET authenticated_at = \(bind: now) WHERE id = \(bind: id)").run()
    }

    public func touch(id: String, now: Int64, ip: String?, on db: DatabaseSession) async throws {
        try await db.raw("UPDATE sessions SET last_used_at = \(bind: now), ip = \(bind: ip) WHERE id = \(bind: id)").run()
    }

    /// Returns whether the session was active before this call.
    @discardableResult
    public func revoke(id: String, reason: String, now: Int64, on db: DatabaseSession) async throws -> Bool {
        let row = try await db.raw(
            """
            UPDATE sessions SET revoked_at = \(bind: now), revoked_reason = \(bind: reason)
            WHERE id = \(bind: id) AND revoked_at IS NULL RETURNING id
            """
        ).first()
        if row != nil { try await NotificationChannel.credentialsRevokedOnCommit(on: db) }
        return row != nil
    }

    /// Revokes every active session of a user except `keeping`; returns the revoked ids.
    public func revokeAll(userID: String, keeping: String?, reason: String, now: Int64, on db: DatabaseSession) async throws -> [String] {
        let revoked = try await db.raw(
            """
            UPDATE sessions SET revoked_at = \(bind: now), revoked_reason = \(bind: reason)
            WHERE user_id = \(bind: userID) AND revoked_at IS NULL AND id <> \(bind: keeping ?? "")
            RETURNING id
            """
        ).all(decodingColumn: "id", as: String.self)
        if !revoked.isEmpty { try await NotificationChannel.credentialsRevokedOnCommit(on: db) }
        return revoked
    }

    public func active(userID: String, now: Int64, on db: DatabaseSession) async throws -> [SessionRecord] {
        try await db.raw(
            """
            SELECT * FROM sessions WHERE user_id = \(bind: userID) AND revoked_at IS NULL AND expires_at > \(bind: now)
            ORDER BY created_at DESC LIMIT 200
            """
        ).allRecords(SessionRecord.self)
    }

}
