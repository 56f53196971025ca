import ConclaveCore
import ConclaveSecurity
import ConclaveStore
import Foundation

/// WebAuthn passkeys (WebAuthn L3, JSON forms with unpadded base64url): registration by a
/// person signed in recently (`RecentSignIn`), passkey login (a complete login, or the first of
/// two factors when TOTP is enabled and the authenticator did not verify the user), listing and
/// removal. The ceremonies are in `WebAuthnService+Registration` and `WebAuthnService+Login`.
///
/// Every challenge is 32 random bytes, stored server-side for five minutes and spent by the first
/// verification that presents it, whatever its outcome. The cryptographic checks are
/// `WebAuthnRegistrationVerifier` and `WebAuthnAssertionVerifier`; this type binds them to
/// accounts, ceremonies and counters, and audits every step.
struct WebAuthnService {
    static let ceremonyMilliseconds: Int64 = 5 * 60 * 1000
    static let challengeBytes = 32
    static let maxCredentialsPerUser = 20
    static let defaultName = "Passkey"
    static let maxNameLength = 64
    /// Transports the L3 `AuthenticatorTransport` enumeration defines; others are ignored, as the spec asks.
    static let knownTransports: Set<String> = ["usb", "nfc", "ble", "smart-card", "hybrid", "internal"]
    static let tooManyCredentials = "An account can hold at most \(maxCredentialsPerUser) passkeys; remove one first."

    let dependencies: ServerDependencies

    var relyingParty: WebAuthnRelyingParty { WebAuthnRelyingParty(configuration: dependencies.configuration) }

    // MARK: - Managing credentials

    func list(_ caller: SessionCaller) async throws -> [WebAuthnRepository.Credential] {
        try await dependencies.database.read { db in
            try await WebAuthnRepository().list(userID: caller.principal.id, on: db)
        }
    }

    /// Needs no recent sign-in, on purpose: a passkey nobody recognises must be removable at once.
    /// `id` is well formed; another kind of id, or someone else's passkey, is 404.
    func delete(_ id: String, caller: SessionCaller) async throws {
        guard id.hasPrefix(WebAuthnRepository.idPrefix) else { throw Problem.notFound }
        try await dependencies.database.write { db in
            guard let removed = try await WebAuthnRepository().delete(id: id, userID: caller.principal.id, on: db) else {
                throw Problem.notFound
            }
            try await dependencies.audit(
                AuditEvent(
                    actor: caller.actor, action: "auth.webauthn.credential.deleted", target: caller.principal.id,
                    details: ["credential_id": .string(removed.id), "session_id": .string(caller.sessionID)]),
                on: db)
        }
    }
}
