import ConclaveCore
import HTTPTypes
import Hummingbird

/// `POST /api/v1/bootstrap`: an agent provisions itself (`BootstrapService`).
struct BootstrapRoutes {
    let dependencies: ServerDependencies

    func register(on router: Router<AppRequestContext>) {
        router.post("/api/v1/bootstrap") { request, context in try await bootstrap(request, context) }
    }

    func bootstrap(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard !dependencies.configuration.disableBootstrap else { throw Problem.notFound }
        let limit = try dependencies.enforce("bootstrap", key: context.clientIP)
        let body = try await request.decodeJSON(as: BootstrapService.BootstrapRequest.self, context: context)
        let provisioned = try await BootstrapService(dependencies: dependencies).bootstrap(body, clientIP: context.clientIP, limit: limit)
        // The answer carries a password and an API key: never stored for an idempotent replay.
        var headers: HTTPFields = [IdempotencyMiddleware.noReplayHeader: "1"]
        headers.setRateLimit(limit)
        return JSONResponse.make(provisioned.json, status: .created, headers: headers)
    }
}
