import ConclaveStore
import ServiceLifecycle

/// Keeps the database's background work running for the server's lifetime and closes it last,
/// after the HTTP server has finished its in-flight requests.
struct DatabaseService: Service {
    let database: any Database

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await database.run()
        }
        await database.shutdown()
    }
}
