/// The second step of a login: a short-lived, single-use challenge handed out after the password.
struct Migration0003MFAChallenges: Migration {
    let version = 3
    let name = "mfa_challenges"

    func statements(for kind: DatabaseKind) -> [String] {
        [
            """
            CREATE TABLE mfa_challenges (
                token_hash TEXT PRIMARY KEY,
                user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                used_at BIGINT
            )
            """,
            "CREATE INDEX mfa_challenges_user ON mfa_challenges (user_id)",
        ]
    }
}
