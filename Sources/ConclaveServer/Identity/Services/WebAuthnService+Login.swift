import ConclaveCore
import ConclaveSecurity
import ConclaveStore
import Foundation

/// Signing in with a passkey: options (a challenge, and the passkeys of the named account, or
/// decoys), then verify (the assertion, bound to the ceremony, the passkey and its counter).
extension WebAuthnService {
    static let invalidCeremony = "The passkey ceremony is not valid or has expired; request new options."
    static let unknownCredential = "The passkey is not recognised."

    // MARK: - Options

    /// `PublicKeyCredentialRequestOptionsJSON`, and the id of the ceremony it opened.
    func loginOptions(_ body: LoginOptionsRequest, clientIP: String) async throws -> (options: JSONValue, ceremonyID: String) {
        let challenge = SecureRandom.bytes(count: Self.challengeBytes)
        let ceremonyID = "wac_" + SecureRandom.token(bytes: 32)
        let ceremonyHash = dependencies.keys.tokenHasher.hexDigest(ceremonyID)
        let allowed: [JSONValue] = try await dependencies.database.write { db in
            let (userID, allowed) = try await allowedCredentials(for: body.email, on: db)
            let now = Clock.milliseconds()
            try await WebAuthnRepository().insertCeremony(
                .init(
                    id: ceremonyHash, userID: userID, kind: .login, challenge: Base64URL.encode(challenge),
                    createdAt: now, expiresAt: now + Self.ceremonyMilliseconds),
                on: db)
            // Anonymous and about no one in particular, so it is one entry in the system chain (an
            // entry per workspace of the person would show in the time taken); the account a
            // ceremony is bound to is in the details.
            var details: [String: JSONValue] = ["account_named": .bool(body.email != nil)]
            if let userID { details["user_id"] = .string(userID) }
            try await dependencies.audit(
                AuditEvent(
                    actor: AuditActor(id: nil, kind: .anonymous, ip: clientIP), action: "auth.webauthn.login.started", target: nil,
                    details: details),
                on: db)
            return allowed
        }
        let party = relyingParty
        let options: JSONValue = [
            "challenge": .string(Base64URL.encode(challenge)),
            "timeout": .int(Self.ceremonyMilliseconds),
            "rpId": .string(party.rpID),
            "allowCredentials": .array(allowed),
            "userVerification": .string(party.userVerification.rawValue),
        ]
        return (options, ceremonyID)
    }

    /// The account the ceremony is bound to and the passkeys it may use: none without an email;
    /// the account's passkeys; or decoys for an email without an account or without passkeys.
    private func allowedCredentials(for email: String?, on db: DatabaseSession) async throws -> (userID: String?, descriptors: [JSONValue]) {
        guard let email else { return (nil, []) }
        // The same statements, the same derivation and the same audit entry whichever account
        // the email names, or none: neither the answer nor the work tells an account with
        // passkeys from one without or from no account (WebAuthn §14.6.2).
        let normalized = Validation.normalizedEmail(email)
        let found = normalized.utf8.count <= 320 ? try await UserRepository().find(email: normalized, on: db) : nil
        let person = found?.kind == .human ? found : nil
        let credentials = try await WebAuthnRepository().list(userID: person?.id ?? "", on: db)
        let imaginary = PasskeyDecoys(hasher: dependencies.keys.passkeyDecoyHasher).descriptors(for: normalized)
        if let person, !credentials.isEmpty {
            return (person.id, credentials.map(WebAuthnJSON.descriptor))
        }
        return (nil, imaginary)
    }

    // MARK: - Verify

    /// An assertion with its fields decoded and checked for form.
    struct Assertion: Sendable {
        let ceremonyHash: String
        let rawID: Data
        let clientDataJSON: Data
        let authenticatorData: Data
        let signature: Data
        let userHandle: Data?
    }

    enum LoginOutcome: Sendable {
        case rejected(String)
        case secondFactor(UserRecord)
        case success(userID: String, sessionID: String, refresh: String)
    }

    /// `limit` is the `login` bucket the route spent from; refusals carry its headers.
    func verifyLogin(_ body: LoginVerifyRequest, client: SignInClient, limit: RateLimitStatus) async throws -> SignInResult {
        let assertion = try assertion(body, limit: limit)
        let issuer = SessionIssuer(dependencies: dependencies)
        let outcome = try await dependencies.database.write { db in
            try await authenticate(assertion, client: client, issuer: issuer, on: db)
        }
        switch outcome {
        case .rejected(let message):
            throw Problem.unauthorized(message).withRateLimitHeaders(limit)
        case .secondFactor(let user):
            let actor = AuditActor(id: user.id, kind: .human, ip: client.ip)
            return .secondFactorRequired(try await AuthService(dependencies: dependencies).beginSecondFactor(for: user, actor: actor))
        case .success(let userID, let sessionID, let refresh):
            return .signedIn(try await issuer.pair(userID: userID, sessionID: sessionID, refreshToken: refresh))
        }
    }

    /// The body's fields, decoded (422 naming the first bad one; an overlong ceremony id is 401).
    private func assertion(_ body: LoginVerifyRequest, limit: RateLimitStatus) throws -> Assertion {
        let credential = body.credential
        guard credential.type == "public-key" else { throw Problem.validation(field: "credential.type", "must be public-key") }
        let rawID = try WebAuthnJSON.binary(credential.rawId, field: "credential.rawId")
        guard credential.id == Base64URL.encode(rawID) else { throw Problem.validation(field: "credential.id", "must equal rawId") }
        let clientDataJSON = try WebAuthnJSON.binary(credential.response.clientDataJSON, field: "credential.response.clientDataJSON")
        let authenticatorData = try WebAuthnJSON.binary(credential.response.authenticatorData, field: "credential.response.authenticatorData")
        let signature = try WebAuthnJSON.binary(credential.response.signature, field: "credential.response.signature")
        let userHandle = try credential.response.userHandle.map {
            try WebAuthnJSON.binary($0, field: "credential.response.userHandle", allowEmpty: true)
        }
        guard body.ceremonyID.utf8.count <= 200 else { throw Problem.unauthorized(Self.invalidCeremony).withRateLimitHeaders(limit) }
        return Assertion(
            ceremonyHash: dependencies.keys.tokenHasher.hexDigest(body.ceremonyID), rawID: rawID, clientDataJSON: clientDataJSON,
            authenticatorData: authenticatorData, signature: signature, userHandle: userHandle)
    }

    /// Spends the ceremony, finds the passkey and its account, checks they belong together, then
    /// verifies the assertion and signs in.
    private func authenticate(
        _ assertion: Assertion, client: SignInClient, issuer: SessionIssuer, on db: DatabaseSession
    ) async throws -> LoginOutcome {
        let repository = WebAuthnRepository()
        let reject = { (reason: String, user: String?, message: String, extra: [String: JSONValue]) in
            try await rejectLogin(reason, user: user, message: message, extra: extra, clientIP: client.ip, on: db)
        }
        // Spent first: whatever happens below, this challenge is never accepted again.
        guard let ceremony = try await repository.spendLoginCeremony(id: assertion.ceremonyHash, now: Clock.milliseconds(), on: db),
            let expected = Base64URL.decode(ceremony.challenge)
        else { return try await reject("unknown_ceremony", nil, Self.invalidCeremony, [:]) }
        guard let stored = try await repository.find(credentialID: Base64URL.encode(assertion.rawID), on: db) else {
            return try await reject("unknown_credential", nil, Self.unknownCredential, [:])
        }
        let idDetail: [String: JSONValue] = ["credential_id": .string(stored.id)]
        if let bound = ceremony.userID, bound != stored.userID {
            return try await reject("credential_not_allowed", nil, Self.unknownCredential, idDetail)
        }
        if let userHandle = assertion.userHandle, userHandle != Data(stored.userID.utf8) {
            return try await reject("user_handle_mismatch", stored.userID, Self.unknownCredential, idDetail)
        }
        guard let user = try await UserRepository().find(id: stored.userID, on: db), user.kind == .human,
            let publicKey = Base64URL.decode(stored.publicKey)
        else { return try await reject("unknown_credential", nil, Self.unknownCredential, [:]) }
        let verified: VerifiedAssertion
        switch try await verify(assertion, stored: stored, publicKey: publicKey, expected: expected, user: user, clientIP: client.ip, on: db) {
        case .verified(let value): verified = value
        case .rejected(let outcome): return outcome
        }
        guard try await repository.recordUse(
            id: stored.id, expectedSignCount: stored.signCount, signCount: Int64(verified.signCount),
            backupState: verified.backupState, now: Clock.milliseconds(), on: db)
        else {
            return try await reject("concurrent_use", user.id, "The passkey was used concurrently; try again.", idDetail)
        }
        return try await signIn(user, verified: verified, credential: stored, client: client, issuer: issuer, on: db)
    }

    private enum AssertionCheck: Sendable {
        case verified(VerifiedAssertion)
        case rejected(LoginOutcome)
    }

    /// The signature, flags and counter; a counter that went backwards under a valid signature
    /// (a possible clone) is audited on its own.
    private func verify(
        _ assertion: Assertion, stored: WebAuthnRepository.Credential, publicKey: Data, expected: Data, user: UserRecord,
        clientIP: String, on db: DatabaseSession
    ) async throws -> AssertionCheck {
        let verifier = relyingParty.assertionVerifier
        let result = Result(catching: { () throws(WebAuthnError) -> VerifiedAssertion in
            try verifier.verify(
                clientDataJSON: assertion.clientDataJSON, authenticatorData: assertion.authenticatorData, signature: assertion.signature,
                storedPublicKey: publicKey, storedSignCount: UInt32(clamping: stored.signCount), storedBackupEligible: stored.backupEligible,
                expectedChallenge: expected)
        })
        let idDetail: [String: JSONValue] = ["credential_id": .string(stored.id)]
        switch result {
        case .success(let value):
            return .verified(value)
        case .failure(.signCountRegression):
            let received = (try? AuthenticatorData(bytes: assertion.authenticatorData)).map { Int64($0.signCount) } ?? -1
            let counters: [String: JSONValue] = ["stored_sign_count": .int(stored.signCount), "received_sign_count": .int(received)]
            try await dependencies.audit(
                AuditEvent(
                    actor: AuditActor(id: user.id, kind: .human, ip: clientIP), action: "auth.webauthn.sign_count_regression",
                    target: user.id, details: idDetail.merging(counters) { _, new in new }),
                on: db)
            return .rejected(try await rejectLogin(
                WebAuthnError.signCountRegression.auditReason, user: user.id, message: WebAuthnError.signCountRegression.message,
                extra: idDetail, clientIP: clientIP, on: db))
        case .failure(let error):
            return .rejected(try await rejectLogin(
                error.auditReason, user: user.id, message: error.message, extra: idDetail, clientIP: clientIP, on: db))
        }
    }

    /// A verified passkey: a session, or the second factor when TOTP is on and the
    /// authenticator did not verify the user (only then does a passkey count as both factors).
    private func signIn(
        _ user: UserRecord, verified: VerifiedAssertion, credential: WebAuthnRepository.Credential, client: SignInClient,
        issuer: SessionIssuer, on db: DatabaseSession
    ) async throws -> LoginOutcome {
        if user.totpEnabled && !verified.userVerified { return .secondFactor(user) }
        // A complete sign-in: the failure count starts again (a lock in force stays).
        try await UserRepository().resetFailureCount(id: user.id, on: db)
        // Only user verification proves what a password does (see `RecentSignIn`).
        let (session, refresh) = try await issuer.createSession(
            userID: user.id, ip: client.ip, userAgent: client.userAgent, mfa: verified.userVerified,
            signInProven: verified.userVerified, on: db)
        try await dependencies.audit(
            AuditEvent(
                actor: AuditActor(id: user.id, kind: .human, ip: client.ip), action: "auth.login.succeeded", target: user.id,
                details: [
                    "session_id": .string(session.id), "method": "webauthn", "credential_id": .string(credential.id),
                    "user_verified": .bool(verified.userVerified),
                ]),
            on: db)
        return .success(userID: user.id, sessionID: session.id, refresh: refresh)
    }

    /// A refused passkey login: audited as a failed login (method `webauthn`) with its reason.
    private func rejectLogin(
        _ reason: String, user: String?, message: String, extra: [String: JSONValue] = [:], clientIP: String, on db: DatabaseSession
    ) async throws -> LoginOutcome {
        var details: [String: JSONValue] = ["method": "webauthn", "reason": .string(reason)]
        details.merge(extra) { _, new in new }
        try await dependencies.audit(
            AuditEvent(
                actor: AuditActor(id: user, kind: user == nil ? .anonymous : .human, ip: clientIP),
                action: "auth.login.failed", target: user, details: details),
            on: db)
        return .rejected(message)
    }
}
