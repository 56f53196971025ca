import ConclaveCore
import ConclaveSecurity
import ConclaveStore
import Foundation
import HTTPTypes
import Hummingbird

/// Login, token refresh, logout and password change.
struct AuthRoutes {
    static let lockThreshold: Int64 = 10
    static let lockMilliseconds: Int64 = 15 * 60 * 1000
    /// How long a spent refresh token may come back as a retry of its own exchange (answered with
    /// the same successor) instead of counting as reuse.

    /// The `login` bucket key for proving the password from inside a session (a password change,
    /// `current_password`): guessing it through a stolen session is limited per account.
    static func passwordProofLimitKey(_ userID: String) -> String { "password-change:" + userID }

    let dependencies: ServerDependencies

    struct LoginRequest: Decodable {
        let email: String
        let password: String
    }

    struct RefreshRequest: Decodable {
        let refresh_token: String
    }

    struct PasswordChangeRequest: Decodable {
        let current_password: String
        let new_password: String
    }

    func register(on router: Router<AppRequestContext>) {
        router.post("/api/v1/auth/login") { request, context in try await login(request, context) }
        router.post("/api/v1/auth/mfa") { request, context in try await completeSecondFactor(request, context) }
        router.post("/api/v1/auth/refresh") { request, context in try await refresh(request, context) }
        let people = router.group(context: SessionRequestContext.self)
        people.post("/api/v1/auth/logout") { request, context in try await logout(request, context) }
        people.post("/api/v1/auth/password") { request, context in try await changePassword(request, context) }
    }

    static let invalidCredentials = Problem.unauthorized("The email or password is incorrect.")

    func login(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let limit = try dependencies.enforce("login", key: context.clientIP)
        let body = try await request.decodeJSON(as: LoginRequest.self, context: context)
        guard body.email.utf8.count <= 320, body.password.utf8.count <= PasswordHasher.maxPasswordBytes else {
            throw Self.invalidCredentials.withRateLimitHeaders(limit)
        }
        let now = Clock.milliseconds()
        let user = try await dependencies.database.read { db in try await UserRepository().find(email: body.email, on: db) }
        let human = user?.kind == .human ? user : nil
        let locked = (human?.lockedUntil ?? 0) > now
        // Always one argon2 verification, so unknown, locked and wrong all take the same time.
        let matched = try await dependencies.passwords.verify(body.password, encoded: locked ? nil : human?.passwordHash)
        let actor = AuditActor(id: human?.id, kind: human == nil ? .anonymous : .human, ip: context.clientIP)

        guard let human, matched, !locked else {
            try await recordFailure(user: human, locked: locked, actor: actor, now: now)
            throw Self.invalidCredentials.withRateLimitHeaders(limit)
        }
        if human.totpEnabled {
            return try await beginSecondFactor(for: human, actor: actor, limit: limit)
        }
        let issuer = SessionIssuer(dependencies: dependencies)
        let userAgent = request.headers[.userAgent]
        let clientIP = context.clientIP
        let (session, refreshToken) = try await dependencies.database.write { db in
            try await UserRepository().clearFailedLogins(id: human.id, on: db)
            let created = try await issuer.createSession(
                userID: human.id, ip: clientIP, userAgent: userAgent, mfa: false, signInProven: true, on: db)
            try await dependencies.audit(
                AuditEvent(actor: actor, action: "auth.login.succeeded", target: human.id, details: ["session_id": .string(created.0.id)]),
                on: db
            )
            return created
        }
        let pair = try await issuer.pair(userID: human.id, sessionID: session.id, refreshToken: refreshToken)
        var headers = HTTPFields()
        headers.setRateLimit(limit)
        return JSONResponse.make(pair.json, headers: headers)
    }

    static let mfaChallengeMilliseconds: Int64 = 5 * 60 * 1000

    /// The password was right and a second factor is enrolled: hand out a single-use challenge.
    /// The failure count stays: wrong codes count into it too, and a fresh token (with a fresh
    /// per-token budget) must not wipe them; only a complete sign-in does.
    func beginSecondFactor(for user: UserRecord, actor: AuditActor, limit: RateLimitStatus) async throws -> Response {
        let token = "mfa_" + SecureRandom.token(bytes: 32)
        let hash = dependencies.keys.tokenHasher.hexDigest(token)
        let passkeys = try await dependencies.database.write { db -> Int in
            let now = Clock.milliseconds()
            try await MFARepository().insertChallenge(tokenHash: hash, userID: user.id, now: now, expiresAt: now + Self.mfaChallengeMilliseconds, on: db)
            try await dependencies.audit(AuditEvent(actor: actor, action: "auth.login.mfa_required", target: user.id), on: db)
            return try await WebAuthnRepository().count(userID: user.id, on: db)
        }
        // A passkey finishes the login on its own (the webauthn login ceremony, not /auth/mfa), so
        // it is offered only to accounts that have one.
        let methods: [JSONValue] = passkeys > 0 ? ["totp", "webauthn", "backup_code"] : ["totp", "backup_code"]
        var headers = HTTPFields()
        headers.setRateLimit(limit)
        return JSONResponse.make(
            ["mfa_required": true, "mfa_token": .string(token), "methods": .array(methods)],
            headers: headers
        )
    }

    struct MFARequest: Decodable {
        let mfa_token: String
        let code: String
    }

    func completeSecondFactor(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(as: MFARequest.self, context: context)
        guard body.mfa_token.utf8.count <= 200 else { throw Problem.unauthorized("The MFA token is not valid.") }
        let hash = dependencies.keys.tokenHasher.hexDigest(body.mfa_token)
        let limit = try dependencies.enforce("mfa", key: hash)
        let factor = SecondFactor(keys: dependencies.keys)
        let issuer = SessionIssuer(dependencies: dependencies)
        let clientIP = context.clientIP
        let userAgent = request.headers[.userAgent]
        enum Outcome: Sendable { case invalidToken, wrongCode, success(userID: String, sessionID: String, refresh: String) }
        let outcome: Outcome = try await dependencies.database.write { db in
            let now = Clock.milliseconds()
            let mfa = MFARepository()
            guard let userID = try await mfa.challengeUser(tokenHash: hash, now: now, on: db),
                let user = try await UserRepository().find(id: userID, on: db)
            else { return .invalidToken }
            let actor = AuditActor(id: userID, kind: .human, ip: clientIP)
            // A locked account takes no guesses, whichever token they come on (tokens handed out
            // before the lock included); the answer is a wrong code's.
            if (user.lockedUntil ?? 0) > now {
                try await dependencies.audit(
                    AuditEvent(actor: actor, action: "auth.mfa.failed", target: userID, details: ["reason": "locked"]), on: db)
                return .wrongCode
            }
            guard let method = try await factor.verify(code: body.code, user: user, allowBackupCode: true, on: db) else {
                // Counted per account, into the password lockout: a new mfa_token brings a new
                // per-token budget, never a new account budget.
                let failures = try await countFailure(of: user, actor: actor, now: now, on: db)
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
                userID: userID, ip: clientIP, userAgent: userAgent, mfa: true, signInProven: true, on: db)
            try await dependencies.audit(
                AuditEvent(
                    actor: actor, action: "auth.login.succeeded", target: userID,
                    details: ["session_id": .string(session.id), "second_factor": .string(method.rawValue)]
                ),
                on: db
            )
            return .success(userID: userID, sessionID: session.id, refresh: refresh)
        }
        switch outcome {
        case .invalidToken:
            throw Problem.unauthorized("The MFA token is not valid or has expired.").withRateLimitHeaders(limit)
        case .wrongCode:
            throw Problem.unauthorized("The code is not valid.").withRateLimitHeaders(limit)
        case .success(let userID, let sessionID, let refresh):
            let pair = try await issuer.pair(userID: userID, sessionID: sessionID, refreshToken: refresh)
            var headers = HTTPFields()
            headers.setRateLimit(limit)
            return JSONResponse.make(pair.json, headers: headers)
        }
    }

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
            id: user.id, lockThreshold: Self.lockThreshold, lockUntil: now + Self.lockMilliseconds, now: now, on: db
        )
        if failures >= Self.lockThreshold {
            try await dependencies.audit(
                AuditEvent(actor: actor, action: "auth.account.locked", target: user.id, details: ["minutes": 15]),
                on: db
            )
        }
        return failures
    }

    enum RefreshOutcome: Sendable {
        case refreshed(userID: String, sessionID: String, refreshToken: String)
        case rejected
    }

    func refresh(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let limit = try dependencies.enforce("refresh", key: context.clientIP)
        let body = try await request.decodeJSON(as: RefreshRequest.self, context: context)
        guard body.refresh_token.utf8.count <= 512 else { throw Problem.unauthorized("The refresh token is not valid.") }
        let hash = dependencies.keys.tokenHasher.hexDigest(body.refresh_token)
        let issuer = SessionIssuer(dependencies: dependencies)
        let clientIP = context.clientIP
        let next = issuer.newRefreshToken()
        let outcome: RefreshOutcome = try await dependencies.database.write { db in
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
        guard case .refreshed(let userID, let sessionID, let refreshToken) = outcome else {
            // A reused token may just have revoked a session: drop cached session state.
            dependencies.credentials.credentialsChanged()
            throw Problem.unauthorized("The refresh token is not valid.").withRateLimitHeaders(limit)
        }
        let pair = try await issuer.pair(userID: userID, sessionID: sessionID, refreshToken: refreshToken)
        var headers = HTTPFields()
        headers.setRateLimit(limit)
        return JSONResponse.make(pair.json, headers: headers)
    }

    func logout(_ request: Request, _ context: SessionRequestContext) async throws -> Response {
        let (principal, sessionID) = (context.principal, context.sessionID)
        let clientIP = context.clientIP
        try await dependencies.database.write { db in
            try await SessionRepository().revoke(id: sessionID, reason: "logout", now: Clock.milliseconds(), on: db)
            try await dependencies.audit(
                AuditEvent(
                    actor: AuditActor(id: principal.id, kind: .human, ip: clientIP),
                    action: "auth.logout",
                    target: principal.id,
                    details: ["session_id": .string(sessionID)]
                ),
                on: db
            )
        }
        dependencies.credentials.credentialsChanged()
        return Response(status: .noContent)
    }

    func changePassword(_ request: Request, _ context: SessionRequestContext) async throws -> Response {
        let (principal, sessionID) = (context.principal, context.sessionID)
        let body = try await request.decodeJSON(as: PasswordChangeRequest.self, context: context)
        // Guessing the current password through a stolen session is a login attempt like any
        // other: the login limit applies, per account.
        _ = try dependencies.enforce("login", key: Self.passwordProofLimitKey(principal.id))
        let user = try await dependencies.database.read { db in try await UserRepository().find(id: principal.id, on: db) }
        guard let user else { throw Problem.unauthorized() }
        guard body.current_password.utf8.count <= PasswordHasher.maxPasswordBytes,
            try await dependencies.passwords.verify(body.current_password, encoded: user.passwordHash)
        else {
            throw Problem.proofRefused(field: "current_password", "is incorrect")
        }
        try PasswordRules.validate(body.new_password, field: "new_password", context: [user.email ?? "", user.name])
        let hash = try await dependencies.passwords.hash(body.new_password)
        let clientIP = context.clientIP
        let revoked = try await dependencies.database.write { db in
            let now = Clock.milliseconds()
            try await UserRepository().updatePassword(id: user.id, hash: hash, now: now, on: db)
            let revoked = try await SessionRepository().revokeAll(userID: user.id, keeping: sessionID, reason: "password_changed", now: now, on: db)
            try await dependencies.audit(
                AuditEvent(
                    actor: AuditActor(id: user.id, kind: .human, ip: clientIP),
                    action: "auth.password.changed",
                    target: user.id,
                    details: ["sessions_revoked": .int(Int64(revoked.count))]
                ),
                on: db
            )
            return revoked
        }
        dependencies.credentials.credentialsChanged()
        return JSONResponse.make(["sessions_revoked": .int(Int64(revoked.count))])
    }
}

/// The password rules (ASVS V6.2) as 422 field errors.
enum PasswordRules {
    static let policy = PasswordPolicy()

    static func validate(_ password: String, field: String, context: [String]) throws {
        let violations = policy.violations(for: password, contextWords: context.filter { !$0.isEmpty })
        guard violations.isEmpty else {
            throw Problem.validation(violations.map { FieldError(field: field, message: $0.message) })
        }
    }
}
