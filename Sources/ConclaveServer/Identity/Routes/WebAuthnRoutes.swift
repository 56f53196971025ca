import ConclaveCore
import ConclaveSecurity
import ConclaveStore
import Foundation
import HTTPTypes
import Hummingbird

/// WebAuthn passkeys (WebAuthn L3, JSON forms with unpadded base64url): registration by a
/// person signed in recently (`RecentSignIn`), passkey login (a complete login, or the first of
/// two factors when TOTP is enabled and the authenticator did not verify the user), listing and
/// removal.
///
/// Every challenge is 32 random bytes, stored server-side for five minutes and spent by the first
/// verification that presents it, whatever its outcome. The cryptographic checks are
/// `WebAuthnRegistrationVerifier` and `WebAuthnAssertionVerifier`; this type binds them to
/// accounts, ceremonies and counters, and audits every step.
struct WebAuthnRoutes {
    static let ceremonyMilliseconds: Int64 = 5 * 60 * 1000
    static let challengeBytes = 32
    static let maxCredentialsPerUser = 20
    static let defaultName = "Passkey"
    static let maxNameLength = 64
    /// Transports the L3 `AuthenticatorTransport` enumeration defines; others are ignored, as the spec asks.
    static let knownTransports: Set<String> = ["usb", "nfc", "ble", "smart-card", "hybrid", "internal"]

    let dependencies: ServerDependencies

    var relyingParty: WebAuthnRelyingParty { WebAuthnRelyingParty(configuration: dependencies.configuration) }

    // MARK: - Request bodies

    /// `RegistrationResponseJSON` as `PublicKeyCredential.toJSON()` produces it, plus an optional name.
    struct RegistrationRequest: Decodable {
        struct AttestationResponse: Decodable {
            let clientDataJSON: String
            let attestationObject: String
            let transports: [String]?
        }

        let id: String
        let rawId: String
        let type: String
        let response: AttestationResponse
        let name: String?
        let current_password: String?
    }

    struct LoginOptionsRequest: Decodable {
        let email: String?
    }

    /// `AuthenticationResponseJSON`.
    struct AssertionCredential: Decodable {
        struct AssertionResponse: Decodable {
            let clientDataJSON: String
            let authenticatorData: String
            let signature: String
            let userHandle: String?
        }

        let id: String
        let rawId: String
        let type: String
        let response: AssertionResponse
    }

    struct LoginVerifyRequest: Decodable {
        let ceremony_id: String
        let credential: AssertionCredential
    }

    func register(on router: Router<AppRequestContext>) {
        let people = router.group(context: SessionRequestContext.self)
        people.post("/api/v1/auth/webauthn/register/options") { request, context in try await registrationOptions(request, context) }
        people.post("/api/v1/auth/webauthn/register/verify") { request, context in try await verifyRegistration(request, context) }
        router.post("/api/v1/auth/webauthn/login/options") { request, context in try await loginOptions(request, context) }
        router.post("/api/v1/auth/webauthn/login/verify") { request, context in try await verifyLogin(request, context) }
        people.get("/api/v1/auth/webauthn/credentials") { _, context in try await list(context) }
        people.delete("/api/v1/auth/webauthn/credentials/{credential}") { _, context in try await delete(context) }
    }

    // MARK: - Registration

    /// A passkey with user verification is a complete login, so adding one is adding a way in:
    /// both steps need a recent sign-in.
    func registrationOptions(_ request: Request, _ context: SessionRequestContext) async throws -> Response {
        let (user, _) = try await RecentSignIn(dependencies: dependencies).signedInPerson(provenBy: request, context)
        let party = relyingParty
        let challenge = SecureRandom.bytes(count: Self.challengeBytes)
        let actor = AuditActor(id: user.id, kind: .human, ip: context.clientIP)
        let existing = try await dependencies.database.write { db in
            let repository = WebAuthnRepository()
            let existing = try await repository.list(userID: user.id, on: db)
            guard existing.count < Self.maxCredentialsPerUser else {
                throw Problem.conflict("An account can hold at most \(Self.maxCredentialsPerUser) passkeys; remove one first.")
            }
            let now = Clock.milliseconds()
            try await repository.insertCeremony(
                .init(
                    id: SecureRandom.token(bytes: 32), userID: user.id, kind: .register, challenge: Base64URL.encode(challenge),
                    createdAt: now, expiresAt: now + Self.ceremonyMilliseconds),
                on: db)
            try await dependencies.audit(AuditEvent(actor: actor, action: "auth.webauthn.registration.started", target: user.id), on: db)
            return existing
        }
        let options: JSONValue = [
            "rp": ["id": .string(party.rpID), "name": .string(WebAuthnRelyingParty.name)],
            "user": [
                // The user handle is our opaque account id: no email or name in it (WebAuthn §14.6.1).
                "id": .string(Base64URL.encode(Data(user.id.utf8))),
                "name": .string(user.email ?? user.name),
                "displayName": .string(user.name),
            ],
            "challenge": .string(Base64URL.encode(challenge)),
            "pubKeyCredParams": [
                ["type": "public-key", "alg": .int(COSEAlgorithm.es256.rawValue)],
                ["type": "public-key", "alg": .int(COSEAlgorithm.eddsa.rawValue)],
            ],
            "timeout": .int(Self.ceremonyMilliseconds),
            "excludeCredentials": .array(existing.map(Self.descriptor)),
            "authenticatorSelection": [
                "residentKey": "preferred",
                "requireResidentKey": false,
                "userVerification": .string(party.userVerification.rawValue),
            ],
            "attestation": "none",
            "extensions": ["credProps": true],
        ]
        return JSONResponse.make(["publicKey": options])
    }

    enum RegistrationOutcome: Sendable {
        case unknownChallenge
        case refused(WebAuthnError)
        case credentialIDMismatch
        case alreadyRegistered
        case tooMany
        case registered(WebAuthnRepository.Credential)
    }

    func verifyRegistration(_ request: Request, _ context: SessionRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(as: RegistrationRequest.self, context: context)
        // Before the ceremony is touched: a refusal here leaves it for a retry with the password.
        let (user, sessionID) = try await RecentSignIn(dependencies: dependencies).signedInPerson(
            context, currentPassword: body.current_password)
        guard body.type == "public-key" else { throw Problem.validation(field: "type", "must be public-key") }
        let rawID = try Self.binary(body.rawId, field: "rawId")
        guard body.id == Base64URL.encode(rawID) else { throw Problem.validation(field: "id", "must equal rawId") }
        let clientDataJSON = try Self.binary(body.response.clientDataJSON, field: "response.clientDataJSON")
        let attestationObject = try Self.binary(body.response.attestationObject, field: "response.attestationObject")
        if let given = body.name, let message = Validation.displayName(given, maxLength: Self.maxNameLength) {
            throw Problem.validation(field: "name", message)
        }
        // Validation.displayName allows (and ignores) leading and trailing spaces and tabs.
        let name = body.name.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " \t")) } ?? Self.defaultName
        var known: [String] = []
        for transport in body.response.transports ?? [] where Self.knownTransports.contains(transport) && !known.contains(transport) {
            known.append(transport)
        }
        let transports = known
        // The challenge the client answered names the ceremony; the verifier checks it again.
        let challenge: String
        do throws(WebAuthnError) {
            let clientData = try CollectedClientData(json: clientDataJSON)
            guard let bytes = Base64URL.decode(clientData.challenge) else { throw WebAuthnError.challengeMismatch }
            challenge = Base64URL.encode(bytes)
        } catch {
            throw Problem.validation(field: "response.clientDataJSON", error.message)
        }

        let verifier = relyingParty.registrationVerifier
        let actor = AuditActor(id: user.id, kind: .human, ip: context.clientIP)
        let outcome: RegistrationOutcome = try await dependencies.database.write { db in
            let repository = WebAuthnRepository()
            let now = Clock.milliseconds()
            func refuse(_ reason: String, _ outcome: RegistrationOutcome) async throws -> RegistrationOutcome {
                try await dependencies.audit(
                    AuditEvent(actor: actor, action: "auth.webauthn.registration.failed", target: user.id, details: ["reason": .string(reason)]),
                    on: db)
                return outcome
            }
            guard let ceremony = try await repository.spendRegistrationCeremony(userID: user.id, challenge: challenge, now: now, on: db),
                let expected = Base64URL.decode(ceremony.challenge)
            else { return try await refuse("unknown_challenge", .unknownChallenge) }
            let verified: VerifiedRegistration
            switch Result(catching: { () throws(WebAuthnError) -> VerifiedRegistration in
                try verifier.verify(clientDataJSON: clientDataJSON, attestationObject: attestationObject, expectedChallenge: expected)
            }) {
            case .success(let value): verified = value
            case .failure(let error): return try await refuse(Self.reason(error), .refused(error))
            }
            guard verified.credentialID == rawID else { return try await refuse("credential_id_mismatch", .credentialIDMismatch) }
            let credentialID = Base64URL.encode(verified.credentialID)
            guard try await repository.count(userID: user.id, on: db) < Self.maxCredentialsPerUser else {
                return try await refuse("too_many_credentials", .tooMany)
            }
            guard try await !repository.exists(credentialID: credentialID, on: db) else {
                return try await refuse("already_registered", .alreadyRegistered)
            }
            let credential = WebAuthnRepository.Credential(
                id: WebAuthnRepository.newCredentialID(), userID: user.id, credentialID: credentialID,
                publicKey: Base64URL.encode(verified.publicKey), algorithm: verified.algorithm.rawValue,
                signCount: Int64(verified.signCount), aaguid: Base64URL.encode(verified.aaguid),
                attestationFormat: verified.attestationFormat.rawValue, backupEligible: verified.backupEligible,
                backupState: verified.backupState, transports: transports, name: name, createdAt: now, lastUsedAt: nil,
                createdSessionID: sessionID)
            try await repository.insert(credential, on: db)
            try await dependencies.audit(
                AuditEvent(
                    actor: actor, action: "auth.webauthn.registered", target: user.id,
                    details: [
                        "credential_id": .string(credential.id),
                        "session_id": .string(sessionID),
                        "algorithm": .string(Self.algorithmName(credential.algorithm)),
                        "attestation_format": .string(credential.attestationFormat),
                        "attestation_type": .string(String(describing: verified.attestationType)),
                        "aaguid": .string(Self.uuidString(credential.aaguid)),
                        "user_verified": .bool(verified.userVerified),
                        "backup_eligible": .bool(verified.backupEligible),
                    ]),
                on: db)
            return .registered(credential)
        }
        switch outcome {
        case .unknownChallenge:
            throw Problem.validation(
                field: "response.clientDataJSON", "does not answer a current registration challenge; request new options")
        case .refused(let error):
            throw Problem.validation(field: Self.field(for: error), error.message)
        case .credentialIDMismatch:
            throw Problem.validation(field: "rawId", "does not match the attested credential")
        case .alreadyRegistered:
            throw Problem.conflict("This passkey is already registered.")
        case .tooMany:
            throw Problem.conflict("An account can hold at most \(Self.maxCredentialsPerUser) passkeys; remove one first.")
        case .registered(let credential):
            return JSONResponse.make(Self.json(credential), status: .created)
        }
    }

    // MARK: - Login

    func loginOptions(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let limit = try dependencies.enforce("login", key: context.clientIP)
        let body = try await request.decodeJSON(as: LoginOptionsRequest.self, context: context, emptyBodyAs: "{}")
        let party = relyingParty
        let challenge = SecureRandom.bytes(count: Self.challengeBytes)
        let ceremonyID = "wac_" + SecureRandom.token(bytes: 32)
        let ceremonyHash = dependencies.keys.tokenHasher.hexDigest(ceremonyID)
        let decoys = PasskeyDecoys(hasher: dependencies.keys.passkeyDecoyHasher)
        let clientIP = context.clientIP
        let allowed: [JSONValue] = try await dependencies.database.write { db in
            var userID: String?
            var allowed: [JSONValue] = []
            if let email = body.email {
                // The same statements, the same derivation and the same audit entry whichever
                // account the email names, or none: neither the answer nor the work tells an
                // account with passkeys from one without or from no account (WebAuthn §14.6.2).
                let normalized = Validation.normalizedEmail(email)
                let found = normalized.utf8.count <= 320 ? try await UserRepository().find(email: normalized, on: db) : nil
                let person = found?.kind == .human ? found : nil
                let credentials = try await WebAuthnRepository().list(userID: person?.id ?? "", on: db)
                let imaginary = decoys.descriptors(for: normalized)
                if let person, !credentials.isEmpty {
                    userID = person.id
                    allowed = credentials.map(Self.descriptor)
                } else {
                    allowed = imaginary
                }
            }
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
        let options: JSONValue = [
            "challenge": .string(Base64URL.encode(challenge)),
            "timeout": .int(Self.ceremonyMilliseconds),
            "rpId": .string(party.rpID),
            "allowCredentials": .array(allowed),
            "userVerification": .string(party.userVerification.rawValue),
        ]
        var headers = HTTPFields()
        headers.setRateLimit(limit)
        return JSONResponse.make(["publicKey": options, "ceremony_id": .string(ceremonyID)], headers: headers)
    }

    enum LoginOutcome: Sendable {
        case rejected(String)
        case secondFactor(UserRecord)
        case success(userID: String, sessionID: String, refresh: String)
    }

    static let invalidCeremony = "The passkey ceremony is not valid or has expired; request new options."
    static let unknownCredential = "The passkey is not recognised."

    func verifyLogin(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let limit = try dependencies.enforce("login", key: context.clientIP)
        let body = try await request.decodeJSON(as: LoginVerifyRequest.self, context: context)
        let credential = body.credential
        guard credential.type == "public-key" else { throw Problem.validation(field: "credential.type", "must be public-key") }
        let rawID = try Self.binary(credential.rawId, field: "credential.rawId")
        guard credential.id == Base64URL.encode(rawID) else { throw Problem.validation(field: "credential.id", "must equal rawId") }
        let clientDataJSON = try Self.binary(credential.response.clientDataJSON, field: "credential.response.clientDataJSON")
        let authenticatorData = try Self.binary(credential.response.authenticatorData, field: "credential.response.authenticatorData")
        let signature = try Self.binary(credential.response.signature, field: "credential.response.signature")
        let userHandle = try credential.response.userHandle.map { try Self.binary($0, field: "credential.response.userHandle", allowEmpty: true) }
        guard body.ceremony_id.utf8.count <= 200 else { throw Problem.unauthorized(Self.invalidCeremony).withRateLimitHeaders(limit) }

        let ceremonyHash = dependencies.keys.tokenHasher.hexDigest(body.ceremony_id)
        let verifier = relyingParty.assertionVerifier
        let issuer = SessionIssuer(dependencies: dependencies)
        let clientIP = context.clientIP
        let userAgent = request.headers[.userAgent]
        let outcome: LoginOutcome = try await dependencies.database.write { db in
            let repository = WebAuthnRepository()
            let now = Clock.milliseconds()
            func reject(_ reason: String, user: String?, message: String, extra: [String: JSONValue] = [:]) async throws -> LoginOutcome {
                var details: [String: JSONValue] = ["method": "webauthn", "reason": .string(reason)]
                details.merge(extra) { _, new in new }
                try await dependencies.audit(
                    AuditEvent(actor: AuditActor(id: user, kind: user == nil ? .anonymous : .human, ip: clientIP),
                               action: "auth.login.failed", target: user, details: details),
                    on: db)
                return .rejected(message)
            }
            // Spent first: whatever happens below, this challenge is never accepted again.
            guard let ceremony = try await repository.spendLoginCeremony(id: ceremonyHash, now: now, on: db),
                let expected = Base64URL.decode(ceremony.challenge)
            else { return try await reject("unknown_ceremony", user: nil, message: Self.invalidCeremony) }
            guard let stored = try await repository.find(credentialID: Base64URL.encode(rawID), on: db) else {
                return try await reject("unknown_credential", user: nil, message: Self.unknownCredential)
            }
            let idDetail: [String: JSONValue] = ["credential_id": .string(stored.id)]
            if let bound = ceremony.userID, bound != stored.userID {
                return try await reject("credential_not_allowed", user: nil, message: Self.unknownCredential, extra: idDetail)
            }
            if let userHandle, userHandle != Data(stored.userID.utf8) {
                return try await reject("user_handle_mismatch", user: stored.userID, message: Self.unknownCredential, extra: idDetail)
            }
            guard let user = try await UserRepository().find(id: stored.userID, on: db), user.kind == .human,
                let publicKey = Base64URL.decode(stored.publicKey)
            else { return try await reject("unknown_credential", user: nil, message: Self.unknownCredential) }
            let storedSignCount = UInt32(clamping: stored.signCount)
            let result = Result(catching: { () throws(WebAuthnError) -> VerifiedAssertion in
                try verifier.verify(
                    clientDataJSON: clientDataJSON, authenticatorData: authenticatorData, signature: signature,
                    storedPublicKey: publicKey, storedSignCount: storedSignCount, storedBackupEligible: stored.backupEligible,
                    expectedChallenge: expected)
            })
            let verified: VerifiedAssertion
            switch result {
            case .success(let value):
                verified = value
            case .failure(.signCountRegression):
                // A valid signature with a counter that went backwards: a possible clone.
                let received = (try? AuthenticatorData(bytes: authenticatorData)).map { Int64($0.signCount) } ?? -1
                let counters: [String: JSONValue] = ["stored_sign_count": .int(stored.signCount), "received_sign_count": .int(received)]
                try await dependencies.audit(
                    AuditEvent(
                        actor: AuditActor(id: user.id, kind: .human, ip: clientIP), action: "auth.webauthn.sign_count_regression",
                        target: user.id, details: idDetail.merging(counters) { _, new in new }),
                    on: db)
                return try await reject(
                    Self.reason(.signCountRegression), user: user.id, message: WebAuthnError.signCountRegression.message,
                    extra: idDetail)
            case .failure(let error):
                return try await reject(Self.reason(error), user: user.id, message: error.message, extra: idDetail)
            }
            guard try await repository.recordUse(
                id: stored.id, expectedSignCount: stored.signCount, signCount: Int64(verified.signCount),
                backupState: verified.backupState, now: now, on: db)
            else {
                return try await reject(
                    "concurrent_use", user: user.id, message: "The passkey was used concurrently; try again.", extra: idDetail)
            }
            // With TOTP on, a passkey counts as both factors only when the authenticator verified the user.
            if user.totpEnabled && !verified.userVerified { return .secondFactor(user) }
            // A complete sign-in: the failure count starts again (a lock in force stays).
            try await UserRepository().resetFailureCount(id: user.id, on: db)
            // Only user verification proves what a password does (see `RecentSignIn`).
            let (session, refresh) = try await issuer.createSession(
                userID: user.id, ip: clientIP, userAgent: userAgent, mfa: verified.userVerified, signInProven: verified.userVerified, on: db)
            try await dependencies.audit(
                AuditEvent(
                    actor: AuditActor(id: user.id, kind: .human, ip: clientIP), action: "auth.login.succeeded", target: user.id,
                    details: [
                        "session_id": .string(session.id), "method": "webauthn", "credential_id": .string(stored.id),
                        "user_verified": .bool(verified.userVerified),
                    ]),
                on: db)
            return .success(userID: user.id, sessionID: session.id, refresh: refresh)
        }
        switch outcome {
        case .rejected(let message):
            throw Problem.unauthorized(message).withRateLimitHeaders(limit)
        case .secondFactor(let user):
            return try await AuthRoutes(dependencies: dependencies).beginSecondFactor(
                for: user, actor: AuditActor(id: user.id, kind: .human, ip: clientIP), limit: limit)
        case .success(let userID, let sessionID, let refresh):
            let pair = try await issuer.pair(userID: userID, sessionID: sessionID, refreshToken: refresh)
            var headers = HTTPFields()
            headers.setRateLimit(limit)
            return JSONResponse.make(pair.json, headers: headers)
        }
    }

    // MARK: - Managing credentials

    func list(_ context: SessionRequestContext) async throws -> Response {
        let principal = context.principal
        let credentials = try await dependencies.database.read { db in
            try await WebAuthnRepository().list(userID: principal.id, on: db)
        }
        return JSONResponse.make(Page.response(credentials.map(Self.json), next: .null))
    }

    /// Needs no recent sign-in, on purpose: a passkey nobody recognises must be removable at once.
    func delete(_ context: SessionRequestContext) async throws -> Response {
        let (principal, sessionID) = (context.principal, context.sessionID)
        guard let id = context.parameters.get("credential"), Identifier.isWellFormed(id) else {
            throw Problem.badRequest("'credential' is not a valid identifier.")
        }
        guard id.hasPrefix(WebAuthnRepository.idPrefix) else { throw Problem.notFound }
        let clientIP = context.clientIP
        try await dependencies.database.write { db in
            guard let removed = try await WebAuthnRepository().delete(id: id, userID: principal.id, on: db) else { throw Problem.notFound }
            try await dependencies.audit(
                AuditEvent(
                    actor: AuditActor(id: principal.id, kind: .human, ip: clientIP), action: "auth.webauthn.credential.deleted",
                    target: principal.id, details: ["credential_id": .string(removed.id), "session_id": .string(sessionID)]),
                on: db)
        }
        return Response(status: .noContent)
    }

    // MARK: - Helpers

    /// Decodes an unpadded base64url field (422 naming it otherwise).
    static func binary(_ text: String, field: String, allowEmpty: Bool = false) throws -> Data {
        guard let data = Base64URL.decode(text), allowEmpty || !data.isEmpty else {
            throw Problem.validation(field: field, "must be non-empty base64url without padding")
        }
        return data
    }

    /// A `PublicKeyCredentialDescriptorJSON` for allow and exclude lists.
    static func descriptor(_ credential: WebAuthnRepository.Credential) -> JSONValue {
        descriptor(id: credential.credentialID, transports: credential.transports)
    }

    /// Always with `transports`, sorted and distinct as browsers report them (empty when none were
    /// reported), so that real descriptors and `PasskeyDecoys` share one shape.
    static func descriptor(id: String, transports: [String]) -> JSONValue {
        ["type": "public-key", "id": .string(id), "transports": .array(Set(transports).sorted().map(JSONValue.string))]
    }

    /// A credential as the API shows it: no key material, no credential ID.
    static func json(_ credential: WebAuthnRepository.Credential) -> JSONValue {
        [
            "id": .string(credential.id),
            "name": .string(credential.name),
            "algorithm": .string(algorithmName(credential.algorithm)),
            "attestation_format": .string(credential.attestationFormat),
            "aaguid": .string(uuidString(credential.aaguid)),
            "backup_eligible": .bool(credential.backupEligible),
            "backed_up": .bool(credential.backupState),
            "transports": .array(credential.transports.map(JSONValue.string)),
            "created_at": .string(Clock.rfc3339(milliseconds: credential.createdAt)),
            "created_by_session": credential.createdSessionID.map(JSONValue.string) ?? .null,
            "last_used_at": credential.lastUsedAt.map { .string(Clock.rfc3339(milliseconds: $0)) } ?? .null,
        ]
    }

    static func algorithmName(_ algorithm: Int64) -> String {
        switch COSEAlgorithm(rawValue: algorithm) {
        case .es256: "ES256"
        case .eddsa: "EdDSA"
        case nil: String(algorithm)
        }
    }

    /// The AAGUID in its usual UUID spelling (all zeros for authenticators that hide their model).
    static func uuidString(_ base64url: String) -> String {
        guard let bytes = Base64URL.decode(base64url), bytes.count == 16 else { return "" }
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        let parts = [hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4), hex.dropFirst(16).prefix(4), hex.dropFirst(20)]
        return parts.joined(separator: "-")
    }

    /// A stable audit reason per failed check.
    static func reason(_ error: WebAuthnError) -> String {
        switch error {
        case .malformedClientData: "malformed_client_data"
        case .unexpectedCeremonyType: "unexpected_ceremony_type"
        case .challengeMismatch: "challenge_mismatch"
        case .originMismatch: "origin_mismatch"
        case .crossOriginNotAllowed: "cross_origin_not_allowed"
        case .malformedAttestationObject: "malformed_attestation_object"
        case .malformedAuthenticatorData: "malformed_authenticator_data"
        case .rpIDMismatch: "rp_id_mismatch"
        case .userNotPresent: "user_not_present"
        case .userVerificationRequired: "user_verification_required"
        case .invalidBackupFlags: "invalid_backup_flags"
        case .missingAttestedCredentialData: "missing_attested_credential_data"
        case .credentialIDTooLong: "credential_id_too_long"
        case .unsupportedAlgorithm: "unsupported_algorithm"
        case .malformedPublicKey: "malformed_public_key"
        case .unsupportedAttestationFormat: "unsupported_attestation_format"
        case .malformedAttestationStatement: "malformed_attestation_statement"
        case .attestationAlgorithmMismatch: "attestation_algorithm_mismatch"
        case .invalidAttestationCertificate: "invalid_attestation_certificate"
        case .invalidSignature: "invalid_signature"
        case .signCountRegression: "sign_count_regression"
        }
    }

    /// Which part of a registration response a failed check is about.
    static func field(for error: WebAuthnError) -> String {
        switch error {
        case .malformedClientData, .unexpectedCeremonyType, .challengeMismatch, .originMismatch, .crossOriginNotAllowed:
            "response.clientDataJSON"
        default:
            "response.attestationObject"
        }
    }
}
