import ConclaveCore
import ConclaveStore

/// Wrong passwords (wherever one is checked) and wrong second-factor codes count towards an
/// account's lockout: the tenth in a row locks it for 15 minutes, whatever the client IP.
struct AccountLockout {
    static let threshold: Int64 = 10
    static let lockMilliseconds: Int64 = 15 * 60 * 1000

    /// The `login` bucket key for proving the password from inside a session (a password change,
    /// `current_password`): guessing it through a stolen session is limited per account.
    static func passwordProofLimitKey(_ userID: String) -> String { "password-change:" + userID }

    let dependencies: ServerDependencies

    /// A wrong password: audited, and counted towards the account's lockout unless it is locked
    /// already. `via` names where it was given when that was not the login route.
    func recordFailure(user: UserRecord?, locked: Bool, actor: AuditActor, now: Int64, via: String? = nil) async throws {
        try await dependencies.database.write { db in
            var details: [String: JSONValue] = ["reason": .string(user == nil ? "unknown_account" : (locked ? "locked" : "wrong_password"))]
            if let via { details["via"] = .string(via) }
            if let user, !locked {
                details["consecutive_failures"] = .int(try await countFailure(of: user, actor: actor, now: now, on: db))
            }
            try await dependencies.audit(AuditEvent(actor: actor, action: "auth.login.failed", target: user?.id, details: details), on: db)
        }
    }

    /// One more failure towards the account's lockout (a wrong password or a wrong second-factor
    /// code); the tenth locks it, and the lock is audited. Returns the count.
    func countFailure(of user: UserRecord, actor: AuditActor, now: Int64, on db: DatabaseSession) async throws -> Int64 {
        let failures = try await UserRepository().recordFailedLogin(
            id: user.id, lockThreshold: Self.threshold, lockUntil: now + Self.lockMilliseconds, now: now, on: db
        )
        if failures >= Self.threshold {
            try await dependencies.audit(
                AuditEvent(actor: actor, action: "auth.account.locked", target: user.id, details: ["minutes": 15]),
                on: db
            )
        }
        return failures
    }
}
