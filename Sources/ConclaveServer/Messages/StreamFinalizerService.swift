import ConclaveStore
import Logging
import ServiceLifecycle

/// Finalizes streamed replies whose sender never did: every five seconds those past their
/// deadline (CONCLAVE_STREAM_TIMEOUT_SECONDS after they started). On SQLite, where one process
/// is the only server, a stream started before this process was cut off by a stop or crash: it
/// is finalized at once with the text saved so far. (With PostgreSQL another server may be serving
/// it, so only the deadline ends it.)
struct StreamFinalizerService: Service {
    static let interval: Duration = .seconds(5)
    static let batch = 100
    /// The first pass waits for start-up (migrations run before the listener opens).
    static let firstDelay: Duration = .seconds(2)

    let dependencies: ServerDependencies
    /// When this process started: streams begun before it belong to a run that ended.
    let startedAt = Clock.milliseconds()

    func run() async throws {
        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: Self.firstDelay) }
        var startUp = dependencies.database.kind == .sqlite
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                try await finalizeDue(afterRestart: startUp)
                startUp = false
            } catch {
                if Task.isCancelled { return }
                dependencies.logger.warning("stream finalizing failed; retrying", metadata: ["error_type": .string(String(describing: type(of: error)))])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: Self.interval) }
        }
    }

    func finalizeDue(afterRestart: Bool) async throws {
        let service = StreamedReplyService(dependencies: dependencies)
        let startedAt = self.startedAt
        while !Task.isCancelled {
            let now = Clock.milliseconds()
            let due = try await dependencies.database.read { db in
                let repository = StreamedReplyRepository()
                return afterRestart
                    ? try await repository.started(before: startedAt, limit: Self.batch, on: db)
                    : try await repository.due(now: now, limit: Self.batch, on: db)
            }
            for messageID in due { try await service.finalizeAbandoned(messageID: messageID) }
            if due.count < Self.batch { return }
        }
    }
}
