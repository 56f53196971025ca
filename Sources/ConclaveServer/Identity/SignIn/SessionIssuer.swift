import ConclaveCore
import ConclaveSecurity
import ConclaveStore
import Foundation

/// Creates sessions and the token pairs that go with them.
struct SessionIssuer {
    static let sessionLifetimeMilliseconds: Int64 = 30 * 24 * 3600 * 1000

    let dependencies: ServerDependencies

    struct TokenPair {
        let accessToken: String
        let refreshToken: String
        let sessionID: String

        var json: JSONValue {
            [
                "access_token": .string(accessToken),
                "refresh_token": .string(refreshToken),
                "token_type": "Bearer",
                "expires_in": .int(Int64(AccessTokenService.lifetimeSeconds)),
                "session_id": .string(sessionID),
            ]
        }
    }

    func newRefreshToken() -> (token: String, hash: String) {
        let token = "crt_" + SecureRandom.token(bytes: 32)
        return (token, dependencies.keys.tokenHasher.hexDigest(token))
    }

    /// Inserts a session inside the caller's transaction; the access token is signed after commit.
    /// `signInProven`: this sign-in proved the password or a passkey with user verification (the
    /// proof adding a sign-in factor needs, see `RecentSignIn`).
    func createSession(
        userID: String, ip: String, userAgent: String?, mfa: Bool, signInProven: Bool, on db: DatabaseSession
    ) async throws -> (SessionRecord, String) {
        let now = Clock.milliseconds()
        let session = SessionRecord(
            id: Identifier.generate(.session),
            userID: userID,
            createdAt: now,
            lastUsedAt: now,
            expiresAt: now + Self.sessionLifetimeMilliseconds,
            revokedAt: nil,
            ip: ip,
            userAgent: userAgent.map { String($0.prefix(200)) },
            mfa: mfa,
            authenticatedAt: signInProven ? now : nil
        )
        let refresh = newRefreshToken()
        try await SessionRepository().insert(session, refreshTokenHash: refresh.hash, on: db)
        return (session, refresh.token)
    }

    func pair(userID: String, sessionID: String, refreshToken: String) async throws -> TokenPair {
        TokenPair(
            accessToken: try await dependencies.tokens.issue(userID: userID, sessionID: sessionID),
            refreshToken: refreshToken,
            sessionID: sessionID
        )
    }
}
