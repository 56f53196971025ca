import ConclaveCore
import ConclaveSecurity
import ConclaveStore
import Foundation
import Hummingbird
import JWTKit

/// Resolves `Authorization: Bearer …` into a principal.
///
/// An access JWT is accepted only if its signature, issuer, audience, type and expiry check out
/// AND its session is still active in the database, so logout, refresh-token reuse and password
/// changes take effect on the very next request, on every server sharing the database.
/// Credentials that are present but invalid end the request with 401 here (counted against the
/// client IP's `auth_failures`, and refused with 429 before any lookup once those are spent);
/// absent credentials pass through and routes that need a principal refuse with 401 themselves.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    let tokens: AccessTokenService
    let database: any Database
    let sessions: CredentialCache<String, SessionRecord>
    let apiKeys: APIKeyAuthenticator
    let failures: AuthenticationFailureLimit

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // Only the API (and MCP) authenticates principals; /metrics checks its own token.
        guard Self.authenticates(request.uri.path), let authorization = BearerToken.authorization(request.headers) else {
            return try await next(request, context)
        }
        if let refusal = failures.refusal(clientIP: context.clientIP) { throw refusal }
        var context = context
        // Read before authenticating: a stream that outlives this request (a long poll) re-checks
        // the credential if anything was revoked since, including while it was being checked.
        context.credentialGeneration = sessions.generation
        do {
            guard let credential = BearerToken.parse(authorization) else {
                throw CredentialRefusal(problem: .unauthorized("The Authorization header must be 'Bearer <token>'."), costly: false)
            }
            context.principal = try await authenticate(credential, clientIP: context.clientIP)
        } catch let refusal as CredentialRefusal {
            let status = refusal.costly ? failures.record(clientIP: context.clientIP) : failures.status(clientIP: context.clientIP)
            throw refusal.problem.withRateLimitHeaders(status)
        }
        return try await next(request, context)
    }

    /// The paths whose requests carry API credentials: the REST API and `POST /mcp`.
    static func authenticates(_ path: String) -> Bool {
        path.hasPrefix("/api/") || path == MCPRoutes.path
    }

    /// The principal behind `credential`; a refusal is a `CredentialRefusal` (401), a paused
    /// agent's key a 423 `Problem`.
    func authenticate(_ credential: String, clientIP: String) async throws -> Principal {
        if credential.hasPrefix(APIKeyFormat.prefix) {
            // The checksum is checked offline: a malformed key costs no read.
            guard APIKeyFormat.isWellFormed(credential) else {
                throw CredentialRefusal(problem: .unauthorized("The API key is not valid."), costly: false)
            }
            do {
                return try await apiKeys.authenticate(credential, clientIP: clientIP)
            } catch let problem as Problem where problem.status == 401 {
                throw CredentialRefusal(problem: problem, costly: true)
            }
        }
        guard let claims = await tokens.verify(credential) else {
            throw CredentialRefusal(problem: .unauthorized("The access token is not valid."), costly: false)
        }
        let sessionID = claims.sid
        var session = sessions.lookup(sessionID)
        if session == nil {
            let generation = sessions.generation
            session = try await database.read { db in try await SessionRepository().find(id: sessionID, on: db) }
            if let session { sessions.store(session, for: sessionID, readAt: generation) }
        }
        guard let session, session.userID == claims.sub.value, session.isActive(at: Clock.milliseconds()) else {
            throw CredentialRefusal(problem: .unauthorized("The session has ended."), costly: true)
        }
        return Principal(id: session.userID, kind: .human, sessionID: session.id)
    }
}
