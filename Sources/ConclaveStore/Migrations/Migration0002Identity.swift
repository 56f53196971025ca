/// People and agents as principals, workspaces and memberships, sessions with rotating refresh
/// tokens, invites, and second factors. Secrets are stored only as hashes or AES-GCM ciphertext.
struct Migration0002Identity: Migration {
    let version = 2
    let name = "identity"

    func statements(for kind: DatabaseKind) -> [String] {
        [
            """
            CREATE TABLE users (
                id TEXT PRIMARY KEY,
                kind TEXT NOT NULL,
                email TEXT UNIQUE,
                name TEXT NOT NULL,
                password_hash TEXT,
                failed_logins BIGINT NOT NULL DEFAULT 0,
                locked_until BIGINT,
                totp_secret TEXT,
                totp_enabled BIGINT NOT NULL DEFAULT 0,
                totp_last_counter BIGINT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE workspaces (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                created_by TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE memberships (
                workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
                principal_id TEXT NOT NULL,
                role TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (workspace_id, principal_id)
            )
            """,
            "CREATE INDEX memberships_principal ON memberships (principal_id)",
            """
            CREATE TABLE sessions (
                id TEXT PRIMARY KEY,
                user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                created_at BIGINT NOT NULL,
                last_used_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                revoked_at BIGINT,
                revoked_reason TEXT,
                ip TEXT,
                user_agent TEXT,
                mfa BIGINT NOT NULL DEFAULT 0
            )
            """,
            "CREATE INDEX sessions_user ON sessions (user_id)",
            """
            CREATE TABLE refresh_tokens (
                token_hash TEXT PRIMARY KEY,
                session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
                created_at BIGINT NOT NULL,
                used_at BIGINT
            )
            """,
            "CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id)",
            """
            CREATE TABLE invites (
                id TEXT PRIMARY KEY,
                workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
                token_hash TEXT NOT NULL UNIQUE,
                role TEXT NOT NULL,
                max_uses BIGINT NOT NULL,
                uses BIGINT NOT NULL DEFAULT 0,
                expires_at BIGINT NOT NULL,
                created_by TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                revoked_at BIGINT
            )
            """,
            "CREATE INDEX invites_workspace ON invites (workspace_id)",
            """
            CREATE TABLE backup_codes (
                user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                code_hash TEXT NOT NULL,
                used_at BIGINT,
                PRIMARY KEY (user_id, code_hash)
            )
            """,
        ]
    }
}
