import ConclaveCore
import ConclaveSecurity
import ConclaveStore
import Foundation

/// Password login, the second factor that may follow it, token refresh, logout and password
/// change: each owns its transaction, its lockout accounting and its audit entries.
struct AuthService {
    static let invalidCredentials = Problem.unauthorized("The email or password is incorrect.")

    let dependencies: ServerDependencies

    struct LoginRequest: Decodable, Sendable {
        let email: String
        let password: String
    }

    struct SecondFactorRequest: Decodable, Sendable {
        let mfaToken: String
        let code: String

        enum CodingKeys: String, CodingKey {
            case mfaToken = "mfa_token"
            case code
        }
    }

    struct RefreshRequest: Decodable, Sendable {
        let refreshToken: String

        enum CodingKeys: String, CodingKey { case refreshToken = "refresh_token" }
    }

    struct PasswordChangeRequest: Decodable, Sendable {
        let currentPassword: String
        let newPassword: String

        enum CodingKeys: String, CodingKey {
            case currentPassword = "current_password"
            case newPassword = "new_password"
        }
    }

    // MARK: - Login

    /// `limit` is the `login` bucket the route spent from; refusals carry its headers.
    func login(_ body: LoginRequest, client: SignInClient, limit: RateLimitStatus) async throws -> SignInResult {
        guard body.email.utf8.count <= 320, body.password.utf8.count <= PasswordHasher.maxPasswordBytes else {
            throw Self.invalidCredentials.withRateLimitHeaders(limit)
        }
        let now = Clock.milliseconds()
        let user = try await dependencies.database.read { db in try await UserRepository().find(email: body.email, on: db) }
        let human = user?.kind == .human ? user : nil
        let locked = (human?.lockedUntil ?? 0) > now
        // Always one argon2 verification, so unknown, locked and wrong all take the same time.
        let matched = try await dependencies.passwords.verify(body.password, encoded: locked ? nil : human?.passwordHash)
        let actor = AuditActor(id: human?.id, kind: human == nil ? .anonymous : .human, ip: client.ip)

        guard let human, matched, !locked else {
            try await AccountLockout(dependencies: dependencies).recordFailure(user: human, locked: locked, actor: actor, now: now)
            throw Self.invalidCredentials.withRateLimitHeaders(limit)
        }
        if human.totpEnabled {
            return .secondFactorRequired(try await beginSecondFactor(for: human, actor: actor))
        }
        let issuer = SessionIssuer(dependencies: dependencies)
        let (session, refreshToken) = try await dependencies.database.write { db in
            try await UserRepository().clearFailedLogins(id: human.id, on: db)
            let created = try await issuer.createSession(
                userID: human.id, ip: client.ip, userAgent: client.userAgent, mfa: false, signInProven: true, on: db)
            try await dependencies.audit(
                AuditEvent(actor: actor, action: "auth.login.succeeded", target: human.id, details: ["session_id": .string(created.0.id)]),
                on: db
            )
            return created
        }
        return .signedIn(try await issuer.pair(userID: human.id, sessionID: session.id, refreshToken: refreshToken))
    }

    /// The first factor was right and a second one is enrolled: hand out a single-use challenge.
    /// The failure count stays: wrong codes count into it too, and a fresh token (with a fresh
    /// per-token budget) must not wipe them; only a complete sign-in does.
    func beginSecondFactor(for user: UserRecord, actor: AuditActor) async throws -> SecondFactorChallenge {
        let token = "mfa_" + SecureRandom.token(bytes: 32)
        let hash = dependencies.keys.tokenHasher.hexDigest(token)
        let passkeys = try await dependencies.database.write { db -> Int in
            let now = Clock.milliseconds()
            try await MFARepository().insertChallenge(
                tokenHash: hash, userID: user.id, now: now, expiresAt: now + SecondFactorChallenge.lifetimeMilliseconds, on: db)
            try await dependencies.audit(AuditEvent(actor: actor, action: "auth.login.mfa_required", target: user.id), on: db)
            return try await WebAuthnRepository().count(userID: user.id, on: db)
        }
        // A passkey finishes the login on its own (the webauthn login ceremony, not /auth/mfa), so
        // it is offered only to accounts that have one.
        let methods = passkeys > 0 ? ["totp", "webauthn", "backup_code"] : ["totp", "backup_code"]
        return SecondFactorChallenge(token: token, methods: methods)
    }

    // MARK: - Second factor

    private enum SecondFactorOutcome: Sendable {
        case invalidToken, wrongCode, success(userID: String, sessionID: String, refresh: String)
    }

    /// Answers an `mfa_token` with a TOTP or backup code; limited per token (the `mfa` bucket,
    /// whose status comes back for the answer's headers) and counted per account.
    func completeSecondFactor(_ body: SecondFactorRequest, client: SignInClient) async throws -> (SessionIssuer.TokenPair, RateLimitStatus) {
        guard body.mfaToken.utf8.count <= 200 else { throw Problem.unauthorized("The MFA token is not valid.") }
        let hash = dependencies.keys.tokenHasher.hexDigest(body.mfaToken)
        let limit = try dependencies.enforce("mfa", key: hash)
        let issuer = SessionIssuer(dependencies: dependencies)
        let outcome = try await dependencies.database.write { db in
            try await spendSecondFactor(tokenHash: hash, code: body.code, client: client, issuer: issuer, on: db)
        }
        switch outcome {
        case .invalidToken:
            throw Problem.unauthorized("The MFA token is not valid or has expired.").withRateLimitHeaders(limit)
        case .wrongCode:
            throw Problem.unauthorized("The code is not valid.").withRateLimitHeaders(limit)
        case .success(let userID, let sessionID, let refresh):
            return (try await issuer.pair(userID: userID, sessionID: sessionID, refreshToken: refresh), limit)
        }
    }

    private func spendSecondFactor(
        tokenHash hash: String, code: String, client: SignInClient, issuer: SessionIssuer, on db: DatabaseSession
    ) async throws -> SecondFactorOutcome {
        let now = Clock.milliseconds()
        let mfa = MFARepository()
        guard let userID = try await mfa.challengeUser(tokenHash: hash, now: now, on: db),
            let user = try await UserRepository().find(id: userID, on: db)
        else { return .invalidToken }
        let actor = AuditActor(id: userID, kind: .human, ip: client.ip)
        // A locked account takes no guesses, whichever token they come on (tokens handed out
        // before the lock included); the answer is a wrong code's.
        if (user.lockedUntil ?? 0) > now {
            try await dependencies.audit(
                AuditEvent(actor: actor, action: "auth.mfa.failed", target: userID, details: ["reason": "locked"]), on: db)
            return .wrongCode
        }
        guard let method = try await SecondFactor(keys: dependencies.keys).verify(code: code, user: user, allowBackupCode: true, on: db) else {
            // Counted per account, into the password lockout: a new mfa_token brings a new
            // per-token budget, never a new account budget.
            let failures = try await AccountLockout(dependencies: dependencies).countFailure(of: user, actor: actor, now: now, on: db)
            try await dependencies.audit(
                AuditEvent(
                    actor: actor, action: "auth.mfa.failed", target: userID,
                    details: ["reason": "wrong_code", "consecutive_failures": .int(failures)]),
                on: db)
            return .wrongCode
        }
        guard try await mfa.spendChallenge(tokenHash: hash, now: now, on: db) else { return .invalidToken }
        try await UserRepository().clearFailedLogins(id: userID, on: db)
        let (session, refresh) = try await issuer.createSession(
            userID: userID, ip: client.ip, userAgent: client.userAgent, mfa: true, signInProven: true, on: db)
        try await dependencies.audit(
            AuditEvent(
                actor: actor, action: "auth.login.succeeded", target: userID,
                details: ["session_id": .string(session.id), "second_factor": .string(method.rawValue)]
            ),
            on: db
        )
        return .success(userID: userID, sessionID: session.id, refresh: refresh)
    }

    // MARK: - Refresh

    private enum RefreshOutcome: Sendable {
        case refreshed(userID: String, sessionID: String, refreshToken: String)
        case rejected
    }

    /// `limit` is the `refresh` bucket the route spent from; refusals carry its headers.
    func refresh(_ body: RefreshRequest, clientIP: String, limit: RateLimitStatus) async throws -> SessionIssuer.TokenPair {
        guard body.refreshToken.utf8.count <= 512 else { throw Problem.unauthorized("The refresh token is not valid.") }
        let hash = dependencies.keys.tokenHasher.hexDigest(body.refreshToken)
        let issuer = SessionIssuer(dependencies: dependencies)
        let next = issuer.newRefreshToken()
        let outcome = try await dependencies.database.write { db in
            try await spendRefreshToken(hash: hash, next: next, clientIP: clientIP, on: db)
        }
        guard case .refreshed(let userID, let sessionID, let refreshToken) = outcome else {
            // A reused token may just have revoked a session: drop cached session state.
            dependencies.credentials.credentialsChanged()
            throw Problem.unauthorized("The refresh token is not valid.").withRateLimitHeaders(limit)
        }
        return try await issuer.pair(userID: userID, sessionID: sessionID, refreshToken: refreshToken)
    }

    private func spendRefreshToken(
        hash: String, next: (token: String, hash: String), clientIP: String, on db: DatabaseSession
    ) async throws -> RefreshOutcome {
        let now = Clock.milliseconds()
        let sessions = SessionRepository()
        switch try await sessions.spendRefreshToken(hash: hash, now: now, on: db) {
        case .unknown:
            return .rejected
        case .reused(let sessionID):
            // The contract's reuse detection: a spent token presented again means one of its
            // holders is not the user (a retry cannot be told from a thief racing the user,
            // so there is no grace for one). End the session for both.
            if try await sessions.revoke(id: sessionID, reason: "refresh_token_reuse", now: now, on: db),
                let session = try await sessions.find(id: sessionID, on: db)
            {
                try await dependencies.audit(
                    AuditEvent(
                        actor: AuditActor(id: nil, kind: .anonymous, ip: clientIP),
                        action: "auth.session.reuse_detected",
                        target: session.userID,
                        details: ["session_id": .string(sessionID)]
                    ),
                    on: db
                )
            }
            return .rejected
        case .valid(let session):
            guard session.isActive(at: now) else { return .rejected }
            try await sessions.insertRefreshToken(hash: next.hash, sessionID: session.id, now: now, on: db)
            try await sessions.touch(id: session.id, now: now, ip: clientIP, on: db)
            return .refreshed(userID: session.userID, sessionID: session.id, refreshToken: next.token)
        }
    }

    // MARK: - Logout and password change

    func logout(_ caller: SessionCaller) async throws {
        try await dependencies.database.write { db in
            try await SessionRepository().revoke(id: caller.sessionID, reason: "logout", now: Clock.milliseconds(), on: db)
            try await dependencies.audit(
                AuditEvent(
                    actor: caller.actor, action: "auth.logout", target: caller.principal.id,
                    details: ["session_id": .string(caller.sessionID)]
                ),
                on: db
            )
        }
        dependencies.credentials.credentialsChanged()
    }

    /// Changes the password and ends the person's other sessions; returns how many ended.
    func changePassword(_ body: PasswordChangeRequest, caller: SessionCaller) async throws -> Int {
        // Guessing the current password through a stolen session is a login attempt like any
        // other: the login limit applies, per account.
        _ = try dependencies.enforce("login", key: AccountLockout.passwordProofLimitKey(caller.principal.id))
        let user = try await dependencies.database.read { db in try await UserRepository().find(id: caller.principal.id, on: db) }
        guard let user else { throw Problem.unauthorized() }
        guard body.currentPassword.utf8.count <= PasswordHasher.maxPasswordBytes,
            try await dependencies.passwords.verify(body.currentPassword, encoded: user.passwordHash)
        else {
            throw Problem.proofRefused(field: "current_password", "is incorrect")
        }
        try PasswordRules.validate(body.newPassword, field: "new_password", context: [user.email ?? "", user.name])
        let hash = try await dependencies.passwords.hash(body.newPassword)
        let revoked = try await dependencies.database.write { db in
            let now = Clock.milliseconds()
            try await UserRepository().updatePassword(id: user.id, hash: hash, now: now, on: db)
            let revoked = try await SessionRepository().revokeAll(
                userID: user.id, keeping: caller.sessionID, reason: "password_changed", now: now, on: db)
            try await dependencies.audit(
                AuditEvent(
                    actor: caller.actor, action: "auth.password.changed", target: user.id,
                    details: ["sessions_revoked": .int(Int64(revoked.count))]
                ),
                on: db
            )
            return revoked
        }
        dependencies.credentials.credentialsChanged()
        return revoked.count
    }
}
