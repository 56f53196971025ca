import ConclaveCore
import ConclaveSecurity
import ConclaveStore
import Foundation

/// Adding a passkey: options (a challenge, the account's passkeys to exclude), then verify (the
/// attestation, bound to the challenge's ceremony). A passkey with user verification is a complete
/// login, so adding one is adding a way in: both steps need a recent sign-in.
extension WebAuthnService {
    // MARK: - Options

    func registrationOptions(_ caller: SessionCaller, currentPassword: String?) async throws -> JSONValue {
        let user = try await RecentSignIn(dependencies: dependencies).signedInPerson(caller, currentPassword: currentPassword)
        let challenge = SecureRandom.bytes(count: Self.challengeBytes)
        let existing = try await startRegistration(for: user, challenge: challenge, actor: caller.actor)
        return registrationOptionsJSON(for: user, challenge: challenge, excluding: existing)
    }

    /// Stores the ceremony (refused with 409 when the account is full); returns the passkeys the
    /// account has.
    private func startRegistration(for user: UserRecord, challenge: Data, actor: AuditActor) async throws -> [WebAuthnRepository.Credential] {
        try await dependencies.database.write { db in
            let repository = WebAuthnRepository()
            let existing = try await repository.list(userID: user.id, on: db)
            guard existing.count < Self.maxCredentialsPerUser else { throw Problem.conflict(Self.tooManyCredentials) }
            let now = Clock.milliseconds()
            try await repository.insertCeremony(
                .init(
                    id: SecureRandom.token(bytes: 32), userID: user.id, kind: .register, challenge: Base64URL.encode(challenge),
                    createdAt: now, expiresAt: now + Self.ceremonyMilliseconds),
                on: db)
            try await dependencies.audit(AuditEvent(actor: actor, action: "auth.webauthn.registration.started", target: user.id), on: db)
            return existing
        }
    }

    /// `PublicKeyCredentialCreationOptionsJSON`.
    private func registrationOptionsJSON(for user: UserRecord, challenge: Data, excluding existing: [WebAuthnRepository.Credential]) -> JSONValue {
        let party = relyingParty
        return [
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
            "excludeCredentials": .array(existing.map(WebAuthnJSON.descriptor)),
            "authenticatorSelection": [
                "residentKey": "preferred",
                "requireResidentKey": false,
                "userVerification": .string(party.userVerification.rawValue),
            ],
            "attestation": "none",
            "extensions": ["credProps": true],
        ]
    }

    // MARK: - Verify

    /// A registration response with its fields decoded and checked for form.
    struct RegistrationResponse: Sendable {
        let rawID: Data
        let clientDataJSON: Data
        let attestationObject: Data
        let name: String
        let transports: [String]
        /// The challenge the client answered, which names the ceremony (the verifier checks it again).
        let challenge: String
    }

    enum RegistrationOutcome: Sendable {
        case unknownChallenge
        case refused(WebAuthnError)
        case credentialIDMismatch
        case alreadyRegistered
        case tooMany
        case registered(WebAuthnRepository.Credential)
    }

    func verifyRegistration(_ body: RegistrationRequest, caller: SessionCaller) async throws -> WebAuthnRepository.Credential {
        // Before the ceremony is touched: a refusal here leaves it for a retry with the password.
        let user = try await RecentSignIn(dependencies: dependencies).signedInPerson(caller, currentPassword: body.currentPassword)
        let response = try Self.registrationResponse(body)
        let outcome = try await dependencies.database.write { db in
            try await register(response, user: user, caller: caller, on: db)
        }
        switch outcome {
        case .unknownChallenge:
            throw Problem.validation(
                field: "response.clientDataJSON", "does not answer a current registration challenge; request new options")
        case .refused(let error):
            throw Problem.validation(field: error.registrationField, error.message)
        case .credentialIDMismatch:
            throw Problem.validation(field: "rawId", "does not match the attested credential")
        case .alreadyRegistered:
            throw Problem.conflict("This passkey is already registered.")
        case .tooMany:
            throw Problem.conflict(Self.tooManyCredentials)
        case .registered(let credential):
            return credential
        }
    }

    /// The body's fields, decoded, or 422 naming the first bad one.
    static func registrationResponse(_ body: RegistrationRequest) throws -> RegistrationResponse {
        guard body.type == "public-key" else { throw Problem.validation(field: "type", "must be public-key") }
        let rawID = try WebAuthnJSON.binary(body.rawId, field: "rawId")
        guard body.id == Base64URL.encode(rawID) else { throw Problem.validation(field: "id", "must equal rawId") }
        let clientDataJSON = try WebAuthnJSON.binary(body.response.clientDataJSON, field: "response.clientDataJSON")
        let attestationObject = try WebAuthnJSON.binary(body.response.attestationObject, field: "response.attestationObject")
        if let given = body.name, let message = Validation.displayName(given, maxLength: Self.maxNameLength) {
            throw Problem.validation(field: "name", message)
        }
        // Validation.displayName allows (and ignores) leading and trailing spaces and tabs.
        let name = body.name.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " \t")) } ?? Self.defaultName
        var transports: [String] = []
        for transport in body.response.transports ?? [] where Self.knownTransports.contains(transport) && !transports.contains(transport) {
            transports.append(transport)
        }
        let challenge: String
        do throws(WebAuthnError) {
            let clientData = try CollectedClientData(json: clientDataJSON)
            guard let bytes = Base64URL.decode(clientData.challenge) else { throw WebAuthnError.challengeMismatch }
            challenge = Base64URL.encode(bytes)
        } catch {
            throw Problem.validation(field: "response.clientDataJSON", error.message)
        }
        return RegistrationResponse(
            rawID: rawID, clientDataJSON: clientDataJSON, attestationObject: attestationObject, name: name,
            transports: transports, challenge: challenge)
    }

    /// Spends the ceremony, verifies the attestation and stores the passkey; every refusal is audited.
    private func register(
        _ response: RegistrationResponse, user: UserRecord, caller: SessionCaller, on db: DatabaseSession
    ) async throws -> RegistrationOutcome {
        let repository = WebAuthnRepository()
        func refuse(_ reason: String, _ outcome: RegistrationOutcome) async throws -> RegistrationOutcome {
            try await dependencies.audit(
                AuditEvent(
                    actor: caller.actor, action: "auth.webauthn.registration.failed", target: user.id,
                    details: ["reason": .string(reason)]),
                on: db)
            return outcome
        }
        guard let ceremony = try await repository.spendRegistrationCeremony(
            userID: user.id, challenge: response.challenge, now: Clock.milliseconds(), on: db),
            let expected = Base64URL.decode(ceremony.challenge)
        else { return try await refuse("unknown_challenge", .unknownChallenge) }
        let verifier = relyingParty.registrationVerifier
        let verified: VerifiedRegistration
        switch Result(catching: { () throws(WebAuthnError) -> VerifiedRegistration in
            try verifier.verify(clientDataJSON: response.clientDataJSON, attestationObject: response.attestationObject, expectedChallenge: expected)
        }) {
        case .success(let value): verified = value
        case .failure(let error): return try await refuse(error.auditReason, .refused(error))
        }
        guard verified.credentialID == response.rawID else { return try await refuse("credential_id_mismatch", .credentialIDMismatch) }
        guard try await repository.count(userID: user.id, on: db) < Self.maxCredentialsPerUser else {
            return try await refuse("too_many_credentials", .tooMany)
        }
        guard try await !repository.exists(credentialID: Base64URL.encode(verified.credentialID), on: db) else {
            return try await refuse("already_registered", .alreadyRegistered)
        }
        return .registered(try await store(verified, response: response, user: user, caller: caller, on: db))
    }

    /// Inserts the verified passkey and audits what the attestation said about it.
    private func store(
        _ verified: VerifiedRegistration, response: RegistrationResponse, user: UserRecord, caller: SessionCaller, on db: DatabaseSession
    ) async throws -> WebAuthnRepository.Credential {
        let credential = WebAuthnRepository.Credential(
            id: WebAuthnRepository.newCredentialID(), userID: user.id, credentialID: Base64URL.encode(verified.credentialID),
            publicKey: Base64URL.encode(verified.publicKey), algorithm: verified.algorithm.rawValue,
            signCount: Int64(verified.signCount), aaguid: Base64URL.encode(verified.aaguid),
            attestationFormat: verified.attestationFormat.rawValue, backupEligible: verified.backupEligible,
            backupState: verified.backupState, transports: response.transports, name: response.name, createdAt: Clock.milliseconds(),
            lastUsedAt: nil, createdSessionID: caller.sessionID)
        try await WebAuthnRepository().insert(credential, on: db)
        try await dependencies.audit(
            AuditEvent(
                actor: caller.actor, action: "auth.webauthn.registered", target: user.id,
                details: [
                    "credential_id": .string(credential.id),
                    "session_id": .string(caller.sessionID),
                    "algorithm": .string(WebAuthnJSON.algorithmName(credential.algorithm)),
                    "attestation_format": .string(credential.attestationFormat),
                    "attestation_type": .string(String(describing: verified.attestationType)),
                    "aaguid": .string(WebAuthnJSON.uuidString(credential.aaguid)),
                    "user_verified": .bool(verified.userVerified),
                    "backup_eligible": .bool(verified.backupEligible),
                ]),
            on: db)
        return credential
    }
}
