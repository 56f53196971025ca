import SQLKit

/// MFA login challenges and backup codes (both stored as keyed hashes).
public struct MFARepository: Sendable {
    public init() {}

    public func insertChallenge(tokenHash: String, userID: String, now: Int64, expiresAt: Int64, on db: DatabaseSession) async throws {
        try await db.raw(
            """
            INSERT INTO mfa_challenges (token_hash, user_id, created_at, expires_at, used_at)
            VALUES (\(bind: tokenHash), \(bind: userID), \(bind: now), \(bind: expiresAt), NULL)
            """
        ).run()
    }

    /// The user of a live, unused challenge.
    public func challengeUser(tokenHash: String, now: Int64, on db: DatabaseSession) async throws -> String? {
        try await db.raw(
            "SELECT user_id FROM mfa_challenges WHERE token_hash = \(bind: tokenHash) AND used_at IS NULL AND expires_at > \(bind: now)"
        ).first(decodingColumn: "user_id", as: String.self)
    }

    /// Marks the challenge used; false when it was already used or expired (a concurrent winner).
    public func spendChallenge(tokenHash: String, now: Int64, on db: DatabaseSession) async throws -> Bool {
        try await db.raw(
            """
            UPDATE mfa_challenges SET used_at = \(bind: now)
            WHERE token_hash = \(bind: tokenHash) AND used_at IS NULL AND expires_at > \(bind: now) RETURNING user_id
            """
        ).first() != nil
    }

    public func replaceBackupCodes(userID: String, hashes: [String], on db: DatabaseSession) async throws {
        try await db.raw("DELETE FROM backup_codes WHERE user_id = \(bind: userID)").run()
        for hash in hashes {
            try await db.raw("INSERT INTO backup_codes (user_id, code_hash, used_at) VALUES (\(bind: userID), \(bind: hash), NULL)").run()
        }
    }

    /// Uses a backup code once; false when unknown or already used.
    public func consumeBackupCode(userID: String, hash: String, now: Int64, on db: DatabaseSession) async throws -> Bool {
        try await db.raw(
            """
            UPDATE backup_codes SET used_at = \(bind: now)
            WHERE user_id = \(bind: userID) AND code_hash = \(bind: hash) AND used_at IS NULL RETURNING user_id
            """
        ).first() != nil
    }

    /// Challenges that can no longer be used (expired) are deleted.
    public func purgeExpired(now: Int64, on db: DatabaseSession) async throws {
        try await db.raw("DELETE FROM mfa_challenges WHERE expires_at < \(bind: now)").run()
    }
}
