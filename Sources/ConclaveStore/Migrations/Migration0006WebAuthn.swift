/// WebAuthn passkeys: registered credentials (public keys only; binary values as unpadded
/// base64url text) and the short-lived, single-use ceremonies whose challenges they answer.
struct Migration0006WebAuthn: Migration {
    let version = 6
    let name = "webauthn"

    func statements(for kind: DatabaseKind) -> [String] {
        [
            """
            CREATE TABLE webauthn_credentials (
                id TEXT PRIMARY KEY,
                user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                credential_id TEXT NOT NULL UNIQUE,
                public_key TEXT NOT NULL,
                algorithm BIGINT NOT NULL,
                sign_count BIGINT NOT NULL DEFAULT 0,
                aaguid TEXT NOT NULL,
                attestation_format TEXT NOT NULL,
                backup_eligible BIGINT NOT NULL DEFAULT 0,
                backup_state BIGINT NOT NULL DEFAULT 0,
                transports TEXT NOT NULL DEFAULT '',
                name TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                last_used_at BIGINT
            )
            """,
            "CREATE INDEX webauthn_credentials_user ON webauthn_credentials (user_id, id)",
            """
            CREATE TABLE webauthn_ceremonies (
                id TEXT PRIMARY KEY,
                user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
                kind TEXT NOT NULL,
                challenge TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                used_at BIGINT
            )
            """,
            "CREATE INDEX webauthn_ceremonies_user ON webauthn_ceremonies (user_id, kind)",
            "CREATE INDEX webauthn_ceremonies_expiry ON webauthn_ceremonies (expires_at)",
        ]
    }
}
