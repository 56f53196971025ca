import ConclaveSecurity
import Foundation
import SQLKit

/// WebAuthn credentials (public keys and counters, never anything secret) and the single-use
/// ceremonies that carry the server's challenges. Binary values are stored as unpadded base64url.
public struct WebAuthnRepository: Sendable {
    /// A registered passkey.
    public struct Credential: Sendable, Equatable, Decodable {
        /// Our id, `pk_` + 20 base62 characters (the one used in URLs).
        public var id: String
        public var userID: String
        /// The authenticator's credential ID, base64url.
        public var credentialID: String
        /// The COSE public key, base64url.
        public var publicKey: String
        /// The COSE algorithm (-7 ES256, -8 EdDSA).
        public var algorithm: Int64
        public var signCount: Int64
        /// The authenticator model (16 bytes), base64url.
        public var aaguid: String
        public var attestationFormat: String
        public var backupEligible: Bool
        public var backupState: Bool
        @SpaceSeparated public var transports: [String]
        public var name: String
        public var createdAt: Int64
        public var lastUsedAt: Int64?
        /// The session that registered it (nil for passkeys registered before this was kept).
        public var createdSessionID: String?

        public init(
            id: String, userID: String, credentialID: String, publicKey: String, algorithm: Int64, signCount: Int64,
            aaguid: String, attestationFormat: String, backupEligible: Bool, backupState: Bool, transports: [String],
            name: String, createdAt: Int64, lastUsedAt: Int64?, createdSessionID: String? = nil
        ) {
            self.id = id
            self.userID = userID
            self.credentialID = credentialID
            self.publicKey = publicKey
            self.algorithm = algorithm
            self.signCount = signCount
            self.aaguid = aaguid
            self.attestationFormat = attestationFormat
            self.backupEligible = backupEligible
            self.backupState = backupState
            self.transports = transports
            self.name = name
            self.createdAt = createdAt
            self.lastUsedAt = lastUsedAt
            self.createdSessionID = createdSessionID
        }
    }

    /// A challenge the server issued, spent by the first verification that presents it.
    public struct Ceremony: Sendable, Equatable, Decodable {
        public enum Kind: String, Sendable, Decodable { case register, login }

        /// For login ceremonies the keyed hash of the `ceremony_id` handed to the client.
        public var id: String
        /// The account the ceremony is bound to (always for registration; for a login only when
        /// the client named an account with passkeys).
        public var userID: String?
        public var kind: Kind
        /// The challenge, base64url.
        public var challenge: String
        public var createdAt: Int64
        public var expiresAt: Int64

        public init(id: String, userID: String?, kind: Kind, challenge: String, createdAt: Int64, expiresAt: Int64) {
            self.id = id
            self.userID = userID
            self.kind = kind
            self.challenge = challenge
            self.createdAt = createdAt
            self.expiresAt = expiresAt
        }
    }

    public static let idPrefix = "pk_"

    public init() {}

    /// A new credential id: `pk_` + 20 base62 characters from the system CSPRNG (about 119 bits).
    public static func newCredentialID() -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
        var symbols: [UInt8] = []
        symbols.reserveCapacity(20)
        while symbols.count < 20 {
            // Rejection sampling: 248 = 4 × 62, so the bytes kept map uniformly onto the alphabet.
            for byte in SecureRandom.bytes(count: 32) where byte < 248 && symbols.count < 20 {
                symbols.append(alphabet[Int(byte % 62)])
            }
        }
        return idPrefix + String(decoding: symbols, as: UTF8.self)
    }

    // MARK: - Ceremonies

    /// Stores a ceremony and drops expired ones (they can never be spent).
    public func insertCeremony(_ ceremony: Ceremony, on db: DatabaseSession) async throws {
        try await db.raw("DELETE FROM webauthn_ceremonies WHERE expires_at <= \(bind: ceremony.createdAt)").run()
        try await db.raw(
            """
            INSERT INTO webauthn_ceremonies (id, user_id, kind, challenge, created_at, expires_at, used_at)
            VALUES (\(bind: ceremony.id), \(bind: ceremony.userID), \(bind: ceremony.kind.rawValue), \(bind: ceremony.challenge),
                    \(bind: ceremony.createdAt), \(bind: ceremony.expiresAt), NULL)
            """
        ).run()
    }

    /// Marks a live login ceremony used and returns it; nil when unknown, of the other kind,
    /// expired or already spent. The check and the spend are one statement, so of two concurrent
    /// verifications only one gets the ceremony.
    public func spendLoginCeremony(id: String, now: Int64, on db: DatabaseSession) async throws -> Ceremony? {
        try await db.raw(
            """
            UPDATE webauthn_ceremonies SET used_at = \(bind: now)
            WHERE id = \(bind: id) AND kind = 'login' AND used_at IS NULL AND expires_at > \(bind: now)
            RETURNING id, user_id, kind, challenge, created_at, expires_at
            """
        ).firstRecord(Ceremony.self)
    }

    /// Marks the user's live registration ceremony with this challenge used and returns it.
    public func spendRegistrationCeremony(userID: String, challenge: String, now: Int64, on db: DatabaseSession) async throws -> Ceremony? {
        try await db.raw(
            """
            UPDATE webauthn_ceremonies SET used_at = \(bind: now)
            WHERE user_id = \(bind: userID) AND kind = 'register' AND challenge = \(bind: challenge)
              AND used_at IS NULL AND expires_at > \(bind: now)
            RETURNING id, user_id, kind, challenge, created_at, expires_at
            """
        ).firstRecord(Ceremony.self)
    }

    // MARK: - Credentials

    /// Inserts a credential. A credential ID that is already registered fails the whole
    /// transaction with `StoreError.conflict`; check `exists(credentialID:)` first to answer it.
    public func insert(_ credential: Credential, on db: DatabaseSession) async throws {
        try await db.raw(
            """
            INSERT INTO webauthn_credentials (id, user_id, credential_id, public_key, algorithm, sign_count, aaguid,
                                              attestation_format, backup_eligible, backup_state, transports, name,
                                              created_at, last_used_at, created_session_id)
            VALUES (\(bind: credential.id), \(bind: credential.userID), \(bind: credential.credentialID), \(bind: credential.publicKey),
                    \(bind: credential.algorithm), \(bind: credential.signCount), \(bind: credential.aaguid),
                    \(bind: credential.attestationFormat), \(bind: credential.backupEligible ? 1 : 0), \(bind: credential.backupState ? 1 : 0),
                    \(bind: credential.$transports), \(bind: credential.name), \(bind: credential.createdAt), NULL,
                    \(bind: credential.createdSessionID))
            """
        ).run()
    }

    public func find(credentialID: String, on db: DatabaseSession) async throws -> Credential? {
        try await db.raw("SELECT * FROM webauthn_credentials WHERE credential_id = \(bind: credentialID)").firstRecord(Credential.self)
    }

    public func exists(credentialID: String, on db: DatabaseSession) async throws -> Bool {
        try await db.raw("SELECT id FROM webauthn_credentials WHERE credential_id = \(bind: credentialID)").first() != nil
    }

    /// A user's credentials, oldest first (a user has at most a few dozen).
    public func list(userID: String, limit: Int = 200, on db: DatabaseSession) async throws -> [Credential] {
        try await db.raw(
            "SELECT * FROM webauthn_credentials WHERE user_id = \(bind: userID) ORDER BY created_at, id LIMIT \(bind: limit)"
        ).allRecords(Credential.self)
    }

    public func count(userID: String, on db: DatabaseSession) async throws -> Int {
        try await db.raw("SELECT COUNT(*) AS n FROM webauthn_credentials WHERE user_id = \(bind: userID)")
            .first(decodingColumn: "n", as: Int.self) ?? 0
    }

    /// Records a successful assertion. The counter moves only from the value the caller verified
    /// against, so two concurrent assertions cannot both advance it; false when it had moved.
    public func recordUse(
        id: String, expectedSignCount: Int64, signCount: Int64, backupState: Bool, now: Int64, on db: DatabaseSession
    ) async throws -> Bool {
        try await db.raw(
            """
            UPDATE webauthn_credentials
            SET sign_count = \(bind: signCount), backup_state = \(bind: backupState ? 1 : 0), last_used_at = \(bind: now)
            WHERE id = \(bind: id) AND sign_count = \(bind: expectedSignCount) RETURNING id
            """
        ).first() != nil
    }

    /// Deletes one of the user's credentials and returns it; nil when there is no such credential of theirs.
    public func delete(id: String, userID: String, on db: DatabaseSession) async throws -> Credential? {
        guard let credential = try await db.raw(
            "SELECT * FROM webauthn_credentials WHERE id = \(bind: id) AND user_id = \(bind: userID)"
        ).firstRecord(Credential.self) else { return nil }
        try await db.raw("DELETE FROM webauthn_credentials WHERE id = \(bind: id) AND user_id = \(bind: userID)").run()
        return credential
    }

}
