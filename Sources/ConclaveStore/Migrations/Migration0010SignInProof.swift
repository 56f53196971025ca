/// Adding a sign-in factor needs a recent sign-in (contract v1.1).
///
/// `sessions.authenticated_at` is when the session last proved the password (or a passkey with
/// user verification): set at sign-in and when a `current_password` is given later, never by a
/// refresh, so an access token alone cannot make itself recent. NULL for sessions from before
/// this version (they give the password once). `webauthn_credentials.created_session_id` names
/// the session that registered a passkey, so a person can tell an unknown one and remove it.
struct Migration0010SignInProof: Migration {
    let version = 10
    let name = "sign_in_proof"

    func statements(for kind: DatabaseKind) -> [String] {
        [
            "ALTER TABLE sessions ADD COLUMN authenticated_at BIGINT",
            "ALTER TABLE webauthn_credentials ADD COLUMN created_session_id TEXT",
        ]
    }
}
