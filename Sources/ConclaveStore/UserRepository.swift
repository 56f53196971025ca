import ConclaveCore
import SQLKit

/// Accounts. Emails are stored lower-cased, so lookups are exact and indexed.
public struct UserRepository: Sendable {
    public init() {}

    public func insert(_ user: UserRecord, on db: DatabaseSession) async throws {
        try await db.raw(
            """
            INSERT INTO users (id, kind, email, name, password_hash, failed_logins, locked_until, totp_secret, totp_enabled,
                               totp_last_counter, created_at, updated_at)
            VALUES (\(bind: user.id), \(bind: user.kind.rawValue), \(bind: user.email), \(bind: user.name), \(bind: user.passwordHash), 0, NULL,
                    NULL, 0, NULL, \(bind: user.createdAt), \(bind: user.createdAt))
            """
        ).run()
    }

    public func find(id: String, on db: DatabaseSession) async throws -> UserRecord? {
        try await db.raw("SELECT * FROM users WHERE id = \(bind: id)").firstRecord(UserRecord.self)
    }

    public func find(email: String, on db: DatabaseSession) async throws -> UserRecord? {
        try await db.raw("SELECT * FROM users WHERE email = \(bind: Validation.normalizedEmail(email))").firstRecord(UserRecord.self)
    }

    public func recordFailedLogin(id: String, lockThreshold: Int64, lockUntil: Int64, now: Int64, on db: DatabaseSession) async throws -> Int64 {
        try await db.raw(
            "UPDATE users SET failed_logins = failed_logins + 1, updated_at = \(bind: now) WHERE id = \(bind: id)"
        ).run()
        let failures = try await db.raw("SELECT failed_logins FROM users WHERE id = \(bind: id)")
            .first(decodingColumn: "failed_logins", as: Int64.self) ?? 0
        if failures >= lockThreshold {
            try await db.raw(
                "UPDATE users SET locked_until = \(bind: lockUntil), failed_logins = 0 WHERE id = \(bind: id)"
            ).run()
        }
        return failures
    }

    public func clearFailedLogins(id: String, on db: DatabaseSession) async throws {
        try await db.raw("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = \(bind: id)").run()
    }

    /// Starts the failure count again without lifting a lock in force (a sign-in that does not
    /// check the lock, a passkey's, must not open the account to more guesses at once).
    public func resetFailureCount(id: String, on db: DatabaseSession) async throws {
        try await db.raw("UPDATE users SET failed_logins = 0 WHERE id = \(bind: id)").run()
    }

    public func updatePassword(id: String, hash: String, now: Int64, on db: DatabaseSession) async throws {
        try await db.raw("UPDATE users SET password_hash = \(bind: hash), updated_at = \(bind: now) WHERE id = \(bind: id)").run()
    }

    public func updateName(id: String, name: String, now: Int64, on db: DatabaseSession) async throws {
        try await db.raw("UPDATE users SET name = \(bind: name), updated_at = \(bind: now) WHERE id = \(bind: id)").run()
    }

    public func setTOTP(id: String, secret: String?, enabled: Bool, now: Int64, on db: DatabaseSession) async throws {
        try await db.raw(
            """
            UPDATE users SET totp_secret = \(bind: secret), totp_enabled = \(bind: enabled ? 1 : 0), totp_last_counter = NULL,
                             updated_at = \(bind: now) WHERE id = \(bind: id)
            """
        ).run()
    }

    public func enableTOTP(id: String, now: Int64, on db: DatabaseSession) async throws {
        try await db.raw("UPDATE users SET totp_enabled = 1, updated_at = \(bind: now) WHERE id = \(bind: id)").run()
    }

    /// Records the last accepted TOTP time step; refuses (returns false) a step not newer than the
    /// stored one, which is what makes a code single-use even under concurrent submissions.
    public func advanceTOTPCounter(id: String, counter: Int64, on db: DatabaseSession) async throws -> Bool {
        let row = try await db.raw(
            """
            UPDATE users SET totp_last_counter = \(bind: counter)
            WHERE id = \(bind: id) AND (totp_last_counter IS NULL OR totp_last_counter < \(bind: counter))
            RETURNING id
            """
        ).first()
        return row != nil
    }

}
