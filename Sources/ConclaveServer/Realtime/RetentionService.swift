import ConclaveStore
import Logging
import ServiceLifecycle

/// Removes what has outlived its purpose, five seconds after start and every ten minutes:
/// events older than CONCLAVE_EVENT_RETENTION_HOURS (in bounded chunks, so no write holds the
/// database for long; a stream resuming from before the pruned point gets `resume_failed`, 410
/// for long-poll, and refetches with REST; messages themselves are kept), idempotency records
/// past their 24 h, and expired MFA challenges.
struct RetentionService: Service {
    static let interval: Duration = .seconds(600)
    /// The first pass waits for start-up (migrations run before the listener opens).
    static let firstDelay: Duration = .seconds(5)
    static let chunk: Int64 = 5000

    let database: any Database
    let retentionHours: Int
    let logger: Logger

    func run() async throws {
        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: Self.firstDelay) }
        // Cancellation (the group stopping after another service failed) ends the loop as well as
        // a graceful shutdown: a cancelled sleep returns at once and would otherwise spin.
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                try await pruneOnce(now: Clock.milliseconds())
            } catch {
                if Task.isCancelled { return }
                logger.warning("event log pruning failed; retrying later", metadata: ["error_type": .string(String(describing: type(of: error)))])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: Self.interval) }
        }
    }

    func pruneOnce(now: Int64) async throws {
        try await database.write { db in
            try await IdempotencyRepository().purge(before: now - 24 * 3_600_000, on: db)
            try await MFARepository().purgeExpired(now: now, on: db)
        }
        let cutoff = now - Int64(retentionHours) * 3_600_000
        let log = EventLog()
        let workspaces = try await database.read { db in try await log.workspacesToPrune(on: db) }
        for workspace in workspaces {
            let target = try await database.read { db in
                try await log.lastSeq(workspaceID: workspace.id, createdBefore: cutoff, after: workspace.prunedThrough, head: workspace.head, on: db)
            }
            var done = workspace.prunedThrough
            while done < target, !Task.isShuttingDownGracefully, !Task.isCancelled {
                let through = min(target, done + Self.chunk)
                try await database.write { db in try await log.prune(workspaceID: workspace.id, through: through, on: db) }
                done = through
            }
        }
    }
}
