import ConclaveStore
import Logging
import ServiceLifecycle

/// Marks approval requests expired when their deadline passes, so that their requester hears
/// `approval.resolved` (`expired`) instead of waiting forever. Every second it reads the due
/// deadlines (an index scan of the open requests that expire) and expires each in its own
/// transaction; with several servers, the message row's lock lets exactly one of them do it.
struct ApprovalExpiryService: Service {
    static let interval: Duration = .seconds(1)
    static let batch = 100
    /// The first pass waits for start-up (migrations run before the listener opens).
    static let firstDelay: Duration = .seconds(3)

    let dependencies: ServerDependencies

    func run() async throws {
        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: Self.firstDelay) }
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                try await expireDue()
            } catch {
                if Task.isCancelled { return }
                dependencies.logger.warning("approval expiry failed; retrying", metadata: ["error_type": .string(String(describing: type(of: error)))])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: Self.interval) }
        }
    }

    func expireDue() async throws {
        let now = Clock.milliseconds()
        let due = try await dependencies.database.read { db in try await ApprovalRepository().due(now: now, limit: Self.batch, on: db) }
        let service = ApprovalService(dependencies: dependencies)
        for messageID in due where !Task.isCancelled {
            try await service.expire(messageID: messageID)
        }
    }
}
