import ConclaveCore
import Hummingbird

/// TOTP enrolment, confirmation and removal (`TOTPService`).
struct TOTPRoutes {
    let dependencies: ServerDependencies

    var service: TOTPService { TOTPService(dependencies: dependencies) }

    func register(on router: Router<AppRequestContext>) {
        let router = router.group(context: SessionRequestContext.self)
        router.post("/api/v1/auth/totp/enroll") { request, context in try await enroll(request, context) }
        router.post("/api/v1/auth/totp/confirm") { request, context in try await confirm(request, context) }
        router.delete("/api/v1/auth/totp") { request, context in try await remove(request, context) }
    }

    func enroll(_ request: Request, _ context: SessionRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(as: RecentSignIn.ProofRequest.self, context: context, emptyBodyAs: "{}")
        let enrolment = try await service.enroll(SessionCaller(context), currentPassword: body.currentPassword)
        return JSONResponse.make(["secret": .string(enrolment.secret), "otpauth_uri": .string(enrolment.otpauthURI)])
    }

    func confirm(_ request: Request, _ context: SessionRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(as: TOTPService.CodeRequest.self, context: context)
        let confirmation = try await service.confirm(body, caller: SessionCaller(context))
        return JSONResponse.make([
            "backup_codes": .array(confirmation.backupCodes.map(JSONValue.string)),
            "sessions_revoked": .int(Int64(confirmation.sessionsRevoked)),
        ])
    }

    func remove(_ request: Request, _ context: SessionRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(as: TOTPService.CodeRequest.self, context: context)
        try await service.remove(body, caller: SessionCaller(context))
        return Response(status: .noContent)
    }
}
