import ConclaveCore
import HTTPTypes
import Hummingbird

/// Login, the second factor, token refresh, logout and password change (`AuthService`).
struct AuthRoutes {
    let dependencies: ServerDependencies

    var service: AuthService { AuthService(dependencies: dependencies) }
    var cookie: BrowserRefreshCookie { BrowserRefreshCookie(configuration: dependencies.configuration) }

    func register(on router: Router<AppRequestContext>) {
        router.post("/api/v1/auth/login") { request, context in try await login(request, context) }
        router.post("/api/v1/auth/mfa") { request, context in try await completeSecondFactor(request, context) }
        router.post("/api/v1/auth/refresh") { request, context in try await refresh(request, context) }
        let people = router.group(context: SessionRequestContext.self)
        people.post("/api/v1/auth/logout") { _, context in try await logout(context) }
        people.post("/api/v1/auth/password") { request, context in try await changePassword(request, context) }
    }

    func login(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let limit = try dependencies.enforce("login", key: context.clientIP)
        let body = try await request.decodeJSON(as: AuthService.LoginRequest.self, context: context)
        let result = try await service.login(body, client: SignInClient(request, context), limit: limit)
        return cookie.response(result.json, to: request, headers: .rateLimit(limit))
    }

    func completeSecondFactor(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(as: AuthService.SecondFactorRequest.self, context: context)
        let (pair, limit) = try await service.completeSecondFactor(body, client: SignInClient(request, context))
        return cookie.response(pair.json, to: request, headers: .rateLimit(limit))
    }

    func refresh(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let limit = try dependencies.enforce("refresh", key: context.clientIP)
        // A browser refreshes with its cookie (and the body is not read); others send the token.
        let body: AuthService.RefreshRequest
        if BrowserRefreshCookie.isBrowser(request) {
            do {
                body = AuthService.RefreshRequest(refreshToken: try cookie.refreshToken(of: request))
            } catch let problem as Problem {
                throw problem.withRateLimitHeaders(limit)
            }
        } else {
            body = try await request.decodeJSON(as: AuthService.RefreshRequest.self, context: context)
        }
        let pair = try await service.refresh(body, clientIP: context.clientIP, limit: limit)
        return cookie.response(pair.json, to: request, headers: .rateLimit(limit))
    }

    func logout(_ context: SessionRequestContext) async throws -> Response {
        try await service.logout(SessionCaller(context))
        // Whoever logs out, a browser's refresh cookie goes with the session, and the browser is
        // asked to drop whatever it cached or stored for this origin while signed in.
        return Response(status: .noContent, headers: [.setCookie: cookie.removal, .clearSiteData: #""cache", "storage""#])
    }

    func changePassword(_ request: Request, _ context: SessionRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(as: AuthService.PasswordChangeRequest.self, context: context)
        let revoked = try await service.changePassword(body, caller: SessionCaller(context))
        return JSONResponse.make(["sessions_revoked": .int(Int64(revoked))])
    }
}

extension HTTPField.Name {
    static let clearSiteData = HTTPField.Name("Clear-Site-Data")!
}
