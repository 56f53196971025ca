import ConclaveCore
import HTTPTypes
import Hummingbird

/// `POST /api/v1/invites/{token}/accept` without a session: signs a person up, or in, and joins
/// them (`InviteSignupService`). `InviteRoutes.accept` hands the request here.
struct InviteSignup {
    let dependencies: ServerDependencies

    func signUp(_ request: Request, _ context: AppRequestContext, tokenHash: String) async throws -> Response {
        _ = try dependencies.enforce("signup", key: context.clientIP)
        let body = try await request.decodeJSON(as: InviteSignupService.SignupRequest.self, context: context, emptyBodyAs: "{}")
        let joined = try await InviteSignupService(dependencies: dependencies).signUp(
            body, carriesCredentials: request.headers[.authorization] != nil, client: SignInClient(request, context), tokenHash: tokenHash)
        // The answer carries a token pair: never stored for an idempotent replay.
        return BrowserRefreshCookie(configuration: dependencies.configuration)
            .response(joined, to: request, status: .created, headers: [IdempotencyMiddleware.noReplayHeader: "1"])
    }
}
