import ConclaveCore
import ConclaveSecurity
import ConclaveStore
import Foundation

/// Accepting an invite without a session (`InviteSignup`): `{"email","password","name"}` signs a
/// new person up, and the invite makes them a member.
///
/// The invite token is checked before any password work, so a made-up token costs no argon2 run.
/// An email that already has an account is that person's sign-in: with its password they join
/// and get exactly what a new account gets; with any other password the answer is the login's
/// wrong-password answer (counted towards the account's lockout and audited for it), never "this
/// email exists". Each path costs one argon2 run (hashing the new password, or verifying the
/// existing one). What still tells the two apart is the outcome itself: a new email gets an
/// account, an existing one a refusal unless its password was given. Hiding that too needs an
/// out-of-band channel (a confirmation email) that Conclave does not have; the probe needs a
/// usable invite token, is limited by `signup` per IP, and ten probes of one account lock it.
struct InviteSignupService {
    let dependencies: ServerDependencies

    struct SignupRequest: Decodable, Sendable {
        let email: String?
        let password: String?
        let name: String?
    }

    struct NewPerson: Sendable {
        let email: String
        let name: String
        let password: String
    }

    /// The account's answer: the joined workspace and a token pair (201). `carriesCredentials`: the request
    /// carried credentials (then missing fields are 422, not 401).
    func signUp(_ body: SignupRequest, carriesCredentials: Bool, client: SignInClient, tokenHash: String) async throws -> JSONValue {
        let person = try validated(body, carriesCredentials: carriesCredentials)
        let now = Clock.milliseconds()
        let existing: UserRecord? = try await dependencies.database.read { db in
            guard let invite = try await InviteRepository().find(tokenHash: tokenHash, on: db), invite.isUsable(at: now) else {
                throw Problem.notFound
            }
            return try await UserRepository().find(email: person.email, on: db)
        }
        if let existing {
            return try await signIn(existing, password: person.password, client: client, tokenHash: tokenHash)
        }
        let hash = try await dependencies.passwords.hash(person.password)
        let userID = Identifier.generate(.user)
        let clientIP = client.ip
        return try await join(userID, client: client, tokenHash: tokenHash) { db, now in
            // Taken between the check above and this transaction: answer as for an existing email.
            guard try await UserRepository().find(email: person.email, on: db) == nil else { throw AuthService.invalidCredentials }
            try await UserRepository().insert(
                UserRecord(
                    id: userID, kind: .human, email: person.email, name: person.name, passwordHash: hash,
                    failedLogins: 0, lockedUntil: nil, totpSecret: nil, totpEnabled: false, totpLastCounter: nil, createdAt: now
                ),
                on: db
            )
        } audit: { workspaceID in
            AuditEvent(actor: AuditActor(id: userID, kind: .human, ip: clientIP), action: "account.created", target: userID,
                       workspaceID: workspaceID, details: ["via": "invite"])
        }
    }

    /// The fields, checked as for any new account (so an existing email is not told apart here).
    func validated(_ body: SignupRequest, carriesCredentials: Bool) throws -> NewPerson {
        var errors: [FieldError] = []
        let email = body.email ?? ""
        if let message = Validation.email(email) { errors.append(FieldError(field: "email", message: message)) }
        let name = body.name ?? email.split(separator: "@").first.map(String.init) ?? ""
        if let message = Validation.displayName(name) { errors.append(FieldError(field: "name", message: message)) }
        let password = body.password ?? ""
        errors += PasswordRules.policy.violations(for: password, contextWords: [email, name]).map {
            FieldError(field: "password", message: $0.message)
        }
        if body.password == nil { errors.append(FieldError(field: "password", message: "is required")) }
        guard errors.isEmpty else {
            if !carriesCredentials, body.email == nil, body.password == nil {
                throw Problem.unauthorized("Sign in, or send email, password and name to sign up.")
            }
            throw Problem.validation(errors)
        }
        return NewPerson(email: Validation.normalizedEmail(email), name: name, password: password)
    }

    /// The email has an account: the sign-up is that person's password sign-in.
    func signIn(_ user: UserRecord, password: String, client: SignInClient, tokenHash: String) async throws -> JSONValue {
        let now = Clock.milliseconds()
        let locked = (user.lockedUntil ?? 0) > now
        // One argon2 run, as hashing a new password would be; a locked account verifies a dummy hash.
        let matched = try await dependencies.passwords.verify(password, encoded: locked ? nil : user.passwordHash)
        let actor = AuditActor(id: user.id, kind: .human, ip: client.ip)
        guard matched, !locked else {
            try await AccountLockout(dependencies: dependencies).recordFailure(user: user, locked: locked, actor: actor, now: now, via: "invite_signup")
            throw AuthService.invalidCredentials
        }
        // The password alone does not sign in an account with a second factor. Whoever reads this
        // knows the password, so it reveals nothing a login would not.
        guard !user.totpEnabled else {
            throw Problem.unauthorized("This account has a second factor: sign in, then accept the invite while signed in.")
        }
        return try await join(user.id, client: client, tokenHash: tokenHash) { db, _ in
            try await UserRepository().clearFailedLogins(id: user.id, on: db)
        } audit: { _ in
            AuditEvent(actor: actor, action: "auth.login.succeeded", target: user.id, details: ["via": "invite_signup"])
        }
    }

    /// One transaction: `prepare` (the account), the invite's membership, a session whose
    /// password was just proven; then the answer every sign-up gets.
    func join(
        _ userID: String, client: SignInClient, tokenHash: String,
        prepare: @escaping @Sendable (DatabaseSession, Int64) async throws -> Void,
        audit: @escaping @Sendable (String) -> AuditEvent
    ) async throws -> JSONValue {
        let clientIP = client.ip
        let userAgent = client.userAgent
        let issuer = SessionIssuer(dependencies: dependencies)
        let (joined, session) = try await dependencies.database.write { db in
            let now = Clock.milliseconds()
            try await prepare(db, now)
            let joined = try await InviteService(dependencies: dependencies).join(userID, tokenHash: tokenHash, clientIP: clientIP, now: now, on: db)
            try await dependencies.audit(audit(joined.workspaceID), on: db)
            let (session, refresh) = try await issuer.createSession(
                userID: userID, ip: clientIP, userAgent: userAgent, mfa: false, signInProven: true, on: db)
            return (joined, (id: session.id, refresh: refresh))
        }
        dependencies.events.joined(userID, event: joined.event)
        let pair = try await issuer.pair(userID: userID, sessionID: session.id, refreshToken: session.refresh)
        var body = joined.json(userID: userID)
        if case .object(let tokens) = pair.json { body.merge(tokens) { current, _ in current } }
        return .object(body)
    }
}
