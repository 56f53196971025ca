import ConclaveCore
import ConclaveStore
import HTTPTypes
import Hummingbird

/// WebAuthn passkeys: registration and login ceremonies, listing and removal (`WebAuthnService`).
struct WebAuthnRoutes {
    let dependencies: ServerDependencies

    var service: WebAuthnService { WebAuthnService(dependencies: dependencies) }

    func register(on router: Router<AppRequestContext>) {
        let people = router.group(context: SessionRequestContext.self)
        people.post("/api/v1/auth/webauthn/register/options") { request, context in try await registrationOptions(request, context) }
        people.post("/api/v1/auth/webauthn/register/verify") { request, context in try await verifyRegistration(request, context) }
        router.post("/api/v1/auth/webauthn/login/options") { request, context in try await loginOptions(request, context) }
        router.post("/api/v1/auth/webauthn/login/verify") { request, context in try await verifyLogin(request, context) }
        people.get("/api/v1/auth/webauthn/credentials") { _, context in try await list(context) }
        people.delete("/api/v1/auth/webauthn/credentials/{credential}") { _, context in try await delete(context) }
    }

    func registrationOptions(_ request: Request, _ context: SessionRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(as: RecentSignIn.ProofRequest.self, context: context, emptyBodyAs: "{}")
        let options = try await service.registrationOptions(SessionCaller(context), currentPassword: body.currentPassword)
        return JSONResponse.make(["publicKey": options])
    }

    func verifyRegistration(_ request: Request, _ context: SessionRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(as: WebAuthnService.RegistrationRequest.self, context: context)
        let credential = try await service.verifyRegistration(body, caller: SessionCaller(context))
        return JSONResponse.make(WebAuthnJSON.credential(credential), status: .created)
    }

    func loginOptions(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let limit = try dependencies.enforce("login", key: context.clientIP)
        let body = try await request.decodeJSON(as: WebAuthnService.LoginOptionsRequest.self, context: context, emptyBodyAs: "{}")
        let (options, ceremonyID) = try await service.loginOptions(body, clientIP: context.clientIP)
        return JSONResponse.make(["publicKey": options, "ceremony_id": .string(ceremonyID)], headers: .rateLimit(limit))
    }

    func verifyLogin(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let limit = try dependencies.enforce("login", key: context.clientIP)
        let body = try await request.decodeJSON(as: WebAuthnService.LoginVerifyRequest.self, context: context)
        let result = try await service.verifyLogin(body, client: SignInClient(request, context), limit: limit)
        return BrowserRefreshCookie(configuration: dependencies.configuration).response(result.json, to: request, headers: .rateLimit(limit))
    }

    func list(_ context: SessionRequestContext) async throws -> Response {
        let credentials = try await service.list(SessionCaller(context))
        return JSONResponse.make(Page.response(credentials.map(WebAuthnJSON.credential), next: .null))
    }

    func delete(_ context: SessionRequestContext) async throws -> Response {
        guard let id = context.parameters.get("credential"), Identifier.isWellFormed(id) else {
            throw Problem.badRequest("'credential' is not a valid identifier.")
        }
        try await service.delete(id, caller: SessionCaller(context))
        return Response(status: .noContent)
    }
}
