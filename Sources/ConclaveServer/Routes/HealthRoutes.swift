import ConclaveCore
import ConclaveStore
import Hummingbird

/// Liveness (no database) and readiness (the database answers).
struct HealthRoutes {
    let database: any Database

    func register(on router: Router<AppRequestContext>) {
        router.get("/health") { _, _ -> Response in
            JSONResponse.make(["status": "ok"])
        }
        router.get("/health/ready") { _, _ -> Response in
            guard await database.ping() else { throw Problem.unavailable }
            return JSONResponse.make(["status": "ready"])
        }
    }
}
