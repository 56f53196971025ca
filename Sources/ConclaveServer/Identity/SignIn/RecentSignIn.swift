import ConclaveCore
import ConclaveSecurity
import ConclaveStore
import Foundation

/// Adding a sign-in factor needs a recent sign-in (contract v1.1): the session proved the
/// password, or a passkey with user verification, within the last ten minutes, or the request
/// carries the right `current_password`. Otherwise 403 `reauthentication_required`: an access
/// token (15 minutes, perhaps stolen) must not be able to add a passkey or an authenticator app
/// that outlives it.
///
/// The proof time is a property of the session row (`authenticated_at`), not of the access token,
/// so refreshing neither renews nor loses it.
struct RecentSignIn {
    static let windowMilliseconds: Int64 = 10 * 60 * 1000

    /// The optional body of a route whose only field is this proof.
    struct ProofRequest: Decodable, Sendable {
        let currentPassword: String?

        enum CodingKeys: String, CodingKey { case currentPassword = "current_password" }
    }

    let dependencies: ServerDependencies

    /// The signed-in person (never an agent), once the session showed a recent sign-in or
    /// `currentPassword` is right.
    func signedInPerson(_ caller: SessionCaller, currentPassword: String?) async throws -> UserRecord {
        guard let user = try await dependencies.database.read({ db in try await UserRepository().find(id: caller.principal.id, on: db) }),
            user.kind == .human
        else { throw Problem.unauthorized() }
        try await require(user: user, sessionID: caller.sessionID, currentPassword: currentPassword, clientIP: caller.clientIP)
        return user
    }

    /// Passes when the session's proof is recent, or `currentPassword` is right (which renews it).
    /// A wrong `currentPassword` is 403 on the field, counted as a failed login of the account.
    func require(user: UserRecord, sessionID: String, currentPassword: String?, clientIP: String) async throws {
        if let currentPassword {
            return try await prove(currentPassword, user: user, sessionID: sessionID, clientIP: clientIP)
        }
        let now = Clock.milliseconds()
        let session = try await dependencies.database.read { db in try await SessionRepository().find(id: sessionID, on: db) }
        guard let provenAt = session?.authenticatedAt, now - provenAt <= Self.windowMilliseconds else {
            throw Problem.reauthenticationRequired
        }
    }

    func prove(_ password: String, user: UserRecord, sessionID: String, clientIP: String) async throws {
        // Guessing the password through a stolen session is a login attempt like any other.
        _ = try dependencies.enforce("login", key: AccountLockout.passwordProofLimitKey(user.id))
        let now = Clock.milliseconds()
        let locked = (user.lockedUntil ?? 0) > now
        let actor = AuditActor(id: user.id, kind: .human, ip: clientIP)
        // One argon2 verification either way: a locked account's answer takes as long as a wrong one.
        guard password.utf8.count <= PasswordHasher.maxPasswordBytes,
            try await dependencies.passwords.verify(password, encoded: locked ? nil : user.passwordHash), !locked
        else {
            try await AccountLockout(dependencies: dependencies).recordFailure(
                user: user, locked: locked, actor: actor, now: now, via: "reauthentication")
            throw Problem.proofRefused(field: "current_password", "is incorrect")
        }
        try await dependencies.database.write { db in
            try await SessionRepository().recordSignInProof(id: sessionID, at: now, on: db)
            try await dependencies.audit(
                AuditEvent(actor: actor, action: "auth.reauthenticated", target: user.id, details: ["session_id": .string(sessionID)]),
                on: db
            )
        }
    }
}
